// Package blockfile is an append-only file of records, one per block, that survives a
// crash at any moment.
//
// Each record is a 4-byte big-endian payload length, the 4-byte CRC-32C of the payload
// and the payload (for devnet, a marshalled common.Block). Append writes a record with
// one write call and fsyncs it before returning, so a record that Append returned for
// is durable. A crash can only leave a torn last record (short, or with a payload that
// does not match its checksum); Open detects it and truncates the file to the last
// whole record. Read checks the checksum of every record it returns.
//
// Records are numbered from 0 in file order; the file keeps their offsets in memory,
// found at Open by walking the record headers (one small read per record, the
// payloads are not read except the last one).
package blockfile
