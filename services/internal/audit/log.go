package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockKey is the PostgreSQL advisory lock that serialises appends across the
// processes of a deployment ("kaiban" + 0x01).
const lockKey int64 = 0x6b616962616e01

// Field limits keep one row small whatever a caller passes.
const (
	maxShort  = 256
	maxPath   = 2048
	maxDetail = 8192
)

// Log appends to and reads the audit log.
type Log struct {
	pool     *pgxpool.Pool
	mac      []byte
	now      func() time.Time
	maxBatch int
	logger   *slog.Logger

	// Used by the writer goroutine only: its own connection (outside the
	// pool, so that appending never queues behind requests for one), the
	// head it appended last, its chainer and its parameter buffer.
	conn      *pgx.Conn
	chainer   *chainer
	params    []byte // the last batch's encoded parameters, for reuse
	headKnown bool
	headSeq   uint64
	headHash  string

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *pending
	wg     sync.WaitGroup
}

type pending struct {
	e       Entry
	seq     uint64
	done    chan error // nil for Submit
	barrier bool       // Flush's marker: no row, done once all before it are written
}

// Option configures a Log.
type Option func(*Log)

// WithClock sets the clock that stamps entries without a time.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// WithMaxBatch sets how many queued entries one transaction appends at most
// (default 512). 1 turns batching off.
func WithMaxBatch(n int) Option { return func(l *Log) { l.maxBatch = max(n, 1) } }

// WithLogger sets where failures of Submit-ted entries are reported.
func WithLogger(lg *slog.Logger) Option { return func(l *Log) { l.logger = lg } }

// New returns a Log over pool, whose rows are MACed under a key derived from
// key (at least 16 bytes, from configuration; never stored in the database),
// and starts its writer. Close stops it.
func New(pool *pgxpool.Pool, key []byte, opts ...Option) (*Log, error) {
	if len(key) < 16 {
		return nil, ErrBadKey
	}
	l := &Log{
		pool:     pool,
		mac:      macKey(key),
		now:      time.Now,
		maxBatch: 512,
		logger:   slog.Default(),
		queue:    make(chan *pending, 4096),
	}
	for _, o := range opts {
		o(l)
	}
	l.chainer = newChainer(l.mac)
	l.wg.Add(1)
	go l.writer()
	return l, nil
}

// Close appends what is queued and stops the writer.
func (l *Log) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Append records e and returns its sequence number once it is committed.
// A zero e.Time is set to now.
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	p := &pending{e: l.prepare(e), done: make(chan error, 1)}
	if err := l.enqueue(ctx, p); err != nil {
		return 0, err
	}
	select {
	case err := <-p.done:
		return p.seq, err
	case <-ctx.Done():
		return 0, fmt.Errorf("audit append: %w", ctx.Err())
	}
}

// Submit queues e and returns without waiting for the commit; a failure to
// write it is logged. It never drops an entry: when the queue is full it waits.
func (l *Log) Submit(e Entry) error {
	return l.enqueue(context.Background(), &pending{e: l.prepare(e)})
}

// Flush returns once every entry queued before it is committed (or failed).
func (l *Log) Flush(ctx context.Context) error {
	p := &pending{barrier: true, done: make(chan error, 1)}
	if err := l.enqueue(ctx, p); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("audit flush: %w", ctx.Err())
	}
}

// Record fills e's actor, source and request ID from ctx where e leaves them
// empty (see WithRequest, SetActor) and appends it. It is how domain code
// records a data access or a security event.
func (l *Log) Record(ctx context.Context, e Entry) error {
	_, err := l.Append(ctx, FromContext(ctx, e))
	return err
}

func (l *Log) enqueue(ctx context.Context, p *pending) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.queue <- p:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit append: %w", ctx.Err())
	}
}

// prepare stamps and bounds an entry so that what is hashed is exactly what
// PostgreSQL stores and reads back.
func (l *Log) prepare(e Entry) Entry {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.ActorKind == "" {
		e.ActorKind = ActorAnonymous
	}
	e.ActorKind = clean(e.ActorKind, maxShort)
	e.ActorID = clean(e.ActorID, maxShort)
	e.ActorName = clean(e.ActorName, maxShort)
	e.Action = clean(e.Action, maxShort)
	e.Resource = clean(e.Resource, maxPath)
	e.Result = clean(e.Result, maxShort)
	e.Source = clean(e.Source, maxShort)
	e.RequestID = clean(e.RequestID, maxShort)
	e.Detail = clean(e.Detail, maxDetail)
	return e
}

// clean makes s storable as PostgreSQL text (valid UTF-8, no NUL) and at most
// n bytes, cut on a rune boundary.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (l *Log) writer() {
	defer l.wg.Done()
	defer func() {
		if l.conn != nil {
			l.conn.Close(context.Background())
		}
	}()
	batch := make([]*pending, 0, l.maxBatch)
	for p := range l.queue {
		batch = append(batch[:0], p)
	fill:
		for len(batch) < l.maxBatch {
			select {
			case q, ok := <-l.queue:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			default:
				break fill
			}
		}
		err := l.writeWithRetry(batch)
		for _, p := range batch {
			if p.done != nil {
				p.done <- err
			} else if err != nil {
				l.logger.Error("audit entry lost", "action", p.e.Action, "resource", p.e.Resource, "err", err)
			}
		}
	}
}

func (l *Log) writeWithRetry(batch []*pending) error {
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = l.write(ctx, batch)
		cancel()
		if err == nil {
			return nil
		}
		var pg *pgconn.PgError
		if l.conn != nil && !errors.As(err, &pg) {
			// Not the server's refusal: the connection's state is unknown.
			l.conn.Close(context.Background())
			l.conn = nil
		}
	}
	return err
}

// writerConn returns the writer's connection, connecting it when needed.
func (l *Log) writerConn(ctx context.Context) (*pgx.Conn, error) {
	if l.conn != nil && !l.conn.IsClosed() {
		return l.conn, nil
	}
	c, err := pgx.ConnectConfig(ctx, l.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("audit append: connect: %w", err)
	}
	l.conn = c
	return c, nil
}

// insertRows appends rows given as one array per column: a single
// statement (prepared once per connection), whatever the batch size.
const insertRows = `INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_name, action, resource,
	result, status, source, request_id, detail, prev_hash, hash, mac)
	SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::integer[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`

// rowArrays is a batch as insertRows' parameters.
type rowArrays struct {
	seq                                                     []int64
	at                                                      []time.Time
	actorKind, actorID, actorName, action, resource, result []string
	status                                                  []int32
	source, requestID, detail, prevHash, hash, mac          []string
}

// chain numbers and hashes batch's entries after the row (seq, prev), and
// returns them as insertRows' parameters with the new head. It only sets the
// entries' sequence numbers: a batch that fails is chained again.
func (l *Log) chain(c *chainer, batch []*pending, seq uint64, prev string) (*rowArrays, uint64, string, error) {
	n := len(batch)
	text := func() []string { return make([]string, 0, n) }
	r := &rowArrays{seq: make([]int64, 0, n), at: make([]time.Time, 0, n), status: make([]int32, 0, n),
		actorKind: text(), actorID: text(), actorName: text(), action: text(), resource: text(), result: text(),
		source: text(), requestID: text(), detail: text(), prevHash: text(), hash: text(), mac: text()}
	for _, p := range batch {
		if p.barrier {
			continue
		}
		seq++
		h, mac, err := c.next(prev, seq, &p.e)
		if err != nil {
			return nil, 0, "", fmt.Errorf("audit append: head hash: %w", err)
		}
		e := &p.e
		r.seq, r.at, r.status = append(r.seq, int64(seq)), append(r.at, e.Time), append(r.status, int32(e.Status))
		r.actorKind, r.actorID, r.actorName = append(r.actorKind, e.ActorKind), append(r.actorID, e.ActorID), append(r.actorName, e.ActorName)
		r.action, r.resource, r.result = append(r.action, e.Action), append(r.resource, e.Resource), append(r.result, e.Result)
		r.source, r.requestID, r.detail = append(r.source, e.Source), append(r.requestID, e.RequestID), append(r.detail, e.Detail)
		r.prevHash, r.hash, r.mac = append(r.prevHash, prev), append(r.hash, h), append(r.mac, mac)
		p.seq = seq
		prev = h
	}
	return r, seq, prev, nil
}

// write appends batch, continuing the chain from the head. The head this Log
// wrote last is kept in memory: when it is still the head, the batch goes in
// one round trip — the advisory lock and the insert, pipelined in one
// implicit transaction. When another process appended meanwhile, the insert
// collides with its row on the primary key (seq) and nothing is written;
// the batch then takes the long way: a transaction that takes the lock,
// reads the head and appends after it. Either way the chain has no fork: a
// row is only ever written after the row its previous hash names, and two
// rows cannot share a number.
func (l *Log) write(ctx context.Context, batch []*pending) error {
	if !slices.ContainsFunc(batch, func(p *pending) bool { return !p.barrier }) {
		return nil // only Flush markers: everything before them is written
	}
	conn, err := l.writerConn(ctx)
	if err != nil {
		return err
	}
	if l.headKnown {
		rows, seq, h, err := l.chain(l.chainer, batch, l.headSeq, l.headHash)
		if err != nil {
			return err
		}
		err = l.send(ctx, conn, rows)
		if err == nil {
			l.headSeq, l.headHash = seq, h
			return nil
		}
		l.headKnown = false
		if !isUniqueViolation(err) {
			return fmt.Errorf("audit append: %w", err)
		}
	}
	seq, h, err := l.writeLocked(ctx, conn, l.chainer, batch)
	if err != nil {
		return err
	}
	l.headSeq, l.headHash, l.headKnown = seq, h, true
	return nil
}

// send sends the advisory lock and the insert of rows pipelined, in one
// round trip and one implicit transaction.
func (l *Log) send(ctx context.Context, conn *pgx.Conn, rows *rowArrays) error {
	sd, err := conn.Prepare(ctx, insertName, insertRows)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	var params [][]byte
	params, l.params = rows.params(l.params)
	var b pgconn.Batch
	b.ExecParams("SELECT pg_advisory_xact_lock($1)", [][]byte{binary.BigEndian.AppendUint64(nil, uint64(lockKey))},
		[]uint32{pgtype.Int8OID}, binaryFormats[:1], nil)
	b.ExecPrepared(sd.Name, params, binaryFormats, nil)
	results, err := conn.PgConn().ExecBatch(ctx, &b).ReadAll()
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// writeLocked appends batch in a transaction that holds the advisory lock
// and continues the chain from the head it reads, and returns the new head.
func (l *Log) writeLocked(ctx context.Context, db beginner, c *chainer, batch []*pending) (uint64, string, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("audit append: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
		return 0, "", fmt.Errorf("audit append: lock: %w", err)
	}
	seq, prev, err := head(ctx, tx)
	if err != nil {
		return 0, "", err
	}
	rows, seq, h, err := l.chain(c, batch, seq, prev)
	if err != nil {
		return 0, "", err
	}
	params, _ := rows.params(nil)
	if err := insert(ctx, tx.Conn(), params); err != nil {
		return 0, "", fmt.Errorf("audit append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, "", fmt.Errorf("audit append: commit: %w", err)
	}
	return seq, h, nil
}

// beginner is a connection or a pool.
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func head(ctx context.Context, q querier) (uint64, string, error) {
	var seq int64
	var h string
	err := q.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, genesis, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return uint64(seq), h, nil
}

// Head returns the sequence number and hash of the last row (0 and the
// genesis hash for an empty log).
func (l *Log) Head(ctx context.Context) (uint64, string, error) { return head(ctx, l.pool) }
