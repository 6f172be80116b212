// Package audit is Kaiban's security audit log (DB37/T 4431-2021 8.2 d;
// GB/T 22239 安全审计): every API call, every recorded data access and every
// important security event becomes one row of an append-only table.
//
// Rows are numbered 1, 2, 3 … without gaps and chained: each row's hash is
// SM3(previous hash ‖ canonical row), and each row also carries an HMAC-SM3 of
// its hash under a key the database never holds, so that someone who can
// write the table but not read the configuration cannot recompute a
// consistent chain after changing a row. The chain head is anchored on the
// ledger periodically (Anchorer); Verify walks the whole log and reports any
// altered, inserted or deleted row, including rows deleted from the end up to
// the latest anchor.
//
// Writes go through one writer goroutine per process that appends whatever
// has queued up as one batch, in one statement, under a PostgreSQL advisory
// lock — the lock serialises the processes of a deployment, the batching keeps
// the lock from being the bottleneck (figures in docs/security.md). While the
// head it wrote last is still the head, a batch costs one round trip
// (log.go, write).
package audit

import (
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Results recorded in Entry.Result.
const (
	ResultOK       = "ok"       // the call or access succeeded
	ResultDenied   = "denied"   // authentication or authorization refused it
	ResultRejected = "rejected" // bad input or a conflict: nothing changed
	ResultFailed   = "failed"   // a security event that failed (bad password, bad signature)
	ResultError    = "error"    // the server failed
)

// Actor kinds recorded in Entry.ActorKind.
const (
	ActorAnonymous = "anonymous"
	ActorUser      = "user"
	ActorClient    = "client" // a department system (API client)
	ActorSystem    = "system" // the platform itself (jobs, CLI)
)

// Entry is what is recorded about one call, access or event: who, what, when,
// the result and where it came from.
type Entry struct {
	Time      time.Time `json:"time"`
	ActorKind string    `json:"actorKind"`
	ActorID   string    `json:"actorId"`
	ActorName string    `json:"actorName"`
	Action    string    `json:"action"`   // "POST /api/v1/users", "identity.login", "pii.read"
	Resource  string    `json:"resource"` // the path or object acted on
	Result    string    `json:"result"`   // one of the Result constants
	Status    int       `json:"status"`   // HTTP status, 0 when not an HTTP call
	Source    string    `json:"source"`   // client IP address
	RequestID string    `json:"requestId"`
	Detail    string    `json:"detail"` // a small JSON object, or empty
}

// Record is an Entry as stored: its sequence number and chain hashes.
type Record struct {
	Seq uint64 `json:"seq"`
	Entry
	PrevHash string `json:"prevHash"`
	Hash     string `json:"hash"`
}

// Actor identifies who performed an action.
type Actor struct {
	Kind string
	ID   string
	Name string
}

var (
	// ErrClosed is returned by writes after Close.
	ErrClosed = errors.New("audit: log closed")
	// ErrBadKey reports a MAC key that is too short.
	ErrBadKey = errors.New("audit: MAC key must be at least 16 bytes")
)

// genesis is the previous hash of row 1.
var genesis = hex.EncodeToString(make([]byte, gm.SM3Size))

// timeLayout is how a row's time enters its hash: UTC, microseconds — the
// precision PostgreSQL stores, so a row read back hashes as it was written.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// canonical encodes a row unambiguously: every field as a 4-byte big-endian
// length followed by its bytes, in a fixed order.
func canonical(seq uint64, e *Entry) []byte { return appendCanonical(nil, seq, e) }

// appendCanonical appends canonical(seq, e) to buf.
func appendCanonical(buf []byte, seq uint64, e *Entry) []byte {
	// field appends one field, its length written once its bytes are.
	field := func(buf []byte, add func([]byte) []byte) []byte {
		at := len(buf)
		buf = add(append(buf, 0, 0, 0, 0))
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
		return buf
	}
	buf = field(buf, func(b []byte) []byte { return strconv.AppendUint(b, seq, 10) })
	buf = field(buf, func(b []byte) []byte { return e.Time.UTC().AppendFormat(b, timeLayout) })
	for _, f := range [...]string{e.ActorKind, e.ActorID, e.ActorName, e.Action, e.Resource, e.Result} {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	buf = field(buf, func(b []byte) []byte { return strconv.AppendInt(b, int64(e.Status), 10) })
	for _, f := range [...]string{e.Source, e.RequestID, e.Detail} {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

// chainHash returns hex SM3(prev ‖ canonical row), prev being the previous
// row's hash as bytes.
func chainHash(prevHex string, seq uint64, e *Entry) (string, error) {
	buf, err := hex.AppendDecode(nil, []byte(prevHex))
	if err != nil {
		return "", err
	}
	sum := gm.Sum(appendCanonical(buf, seq, e))
	return hex.EncodeToString(sum[:]), nil
}

// chainer computes, row after row, what chainHash and rowMAC do, reusing
// one buffer and one HMAC state instead of allocating them per row. It is
// the writer goroutine's alone.
type chainer struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

func newChainer(macKey []byte) *chainer {
	return &chainer{mac: hmac.New(gm.NewHash, macKey)}
}

// next returns the hash and MAC of row seq after the row whose hash is prev.
func (c *chainer) next(prev string, seq uint64, e *Entry) (h, mac string, err error) {
	c.buf, err = hex.AppendDecode(c.buf[:0], []byte(prev))
	if err != nil {
		return "", "", err
	}
	c.buf = appendCanonical(c.buf, seq, e)
	sum := gm.Sum(c.buf)
	c.buf = hex.AppendEncode(c.buf[:0], sum[:])
	c.mac.Reset()
	c.mac.Write(c.buf)
	c.sum = c.mac.Sum(c.sum[:0])
	// The hash and the MAC in hex, made as one string: they are stored in
	// the same row and live as long as each other.
	both := string(hex.AppendEncode(c.buf, c.sum))
	return both[:len(both)/2], both[len(both)/2:], nil
}

// macKey derives the row MAC key from the configured audit key.
func macKey(key []byte) []byte { return gm.HMAC(key, []byte("kaiban/audit/row-mac")) }

func rowMAC(key []byte, hashHex string) string {
	return hex.EncodeToString(gm.HMAC(key, []byte(hashHex)))
}
