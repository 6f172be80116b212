package audit

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A batch goes to PostgreSQL as insertRows' fifteen array parameters,
// encoded here in PostgreSQL's binary array format into a buffer the
// writer keeps, and sent through pgconn. Through pgx.Conn the same arrays
// cost about 4 KB of garbage per row — every element boxed into an
// interface, and pgx's parameter and message buffers, which give back any
// capacity over a few hundred bytes, grown afresh for every batch — a third
// of what a GET by ID allocated.

// insertName is insertRows' prepared statement on the writer's connection.
const insertName = "kaiban_audit_insert_rows"

// binaryFormats marks every parameter (and the lock's) as binary.
var binaryFormats = []int16{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

// y2k is PostgreSQL's timestamp epoch, 2000-01-01 UTC, in Unix microseconds.
const y2k = 946684800 * 1000000

// params returns r as insertRows' parameters, encoded into dst's storage
// (grown as needed; the returned buffer is the one to reuse).
func (r *rowArrays) params(dst []byte) ([][]byte, []byte) {
	n := len(r.seq)
	var ends [15]int
	b := dst[:0]
	col := 0
	end := func() { ends[col] = len(b); col++ }

	b = arrayHeader(b, pgtype.Int8OID, n)
	for _, v := range r.seq {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	end()
	b = arrayHeader(b, pgtype.TimestamptzOID, n)
	for _, t := range r.at {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(t.UnixMicro()-y2k))
	}
	end()
	text := func(v []string) {
		b = arrayHeader(b, pgtype.TextOID, n)
		for _, s := range v {
			b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
		end()
	}
	text(r.actorKind)
	text(r.actorID)
	text(r.actorName)
	text(r.action)
	text(r.resource)
	text(r.result)
	b = arrayHeader(b, pgtype.Int4OID, n)
	for _, v := range r.status {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	end()
	text(r.source)
	text(r.requestID)
	text(r.detail)
	text(r.prevHash)
	text(r.hash)
	text(r.mac)

	out := make([][]byte, len(ends))
	start := 0
	for i, e := range ends {
		out[i] = b[start:e:e]
		start = e
	}
	return out, b
}

// arrayHeader appends the header of a one-dimensional array of n elements
// of type oid, without NULLs, indexed from 1.
func arrayHeader(b []byte, oid uint32, n int) []byte {
	b = binary.BigEndian.AppendUint32(b, 1) // dimensions
	b = binary.BigEndian.AppendUint32(b, 0) // no NULLs
	b = binary.BigEndian.AppendUint32(b, oid)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	return binary.BigEndian.AppendUint32(b, 1) // lower bound
}

// insert runs insertRows with params on conn, outside any batch (the long
// way, in writeLocked's transaction).
func insert(ctx context.Context, conn *pgx.Conn, params [][]byte) error {
	sd, err := conn.Prepare(ctx, insertName, insertRows)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return conn.PgConn().ExecPrepared(ctx, sd.Name, params, binaryFormats, nil).Read().Err
}
