// Package objectstore holds asset content on the storage nodes (DB37/T
// 4431-2021 7.2 c): immutable, content-addressed objects, each named by the
// hex SM3 digest of its bytes, in a MinIO (or any S3) bucket or in a local
// folder.
//
// The bytes stored are always ciphertext. PutSealed seals content under a fresh
// SM4 data key with SM4-GCM and stores it; GetSealed fetches, verifies and
// opens it. The name returned is what the asset record keeps on chain as its
// cipher digest, so the ledger pins the exact bytes the storage node must
// serve.
//
// Integrity is checked on every read and never delegated to the server: a Get
// recomputes the SM3 digest of what it read and returns ErrTampered, and no
// bytes, when it differs from the name. Reads are therefore buffered and
// bounded by the store's size limit (WithMaxSize). There is deliberately no
// streaming Get: a reader would hand out bytes before the digest at the end
// could condemn them, and the SM4-GCM open that follows needs the whole
// ciphertext in memory anyway.
//
// Because names are digests, a Put of bytes already stored is harmless (and
// repairs an object that was tampered with), concurrent Puts of the same
// bytes agree, and nothing is ever updated in place.
package objectstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Store is a storage node: a set of immutable objects named by the hex SM3
// digest of their bytes. FS and MinIO implement it.
type Store interface {
	// Put stores data and returns its name, the lowercase hex SM3 digest of
	// data. Storing bytes that are already there is harmless. Data longer than
	// the store's limit is refused with ErrTooLarge.
	Put(ctx context.Context, data []byte) (string, error)

	// Get returns the object called name after checking that its SM3 digest
	// is name. It returns ErrNotFound for a missing object, ErrTampered (and
	// no bytes) for an object whose bytes no longer match its name, and
	// ErrTooLarge for one longer than the limit, which is not read.
	Get(ctx context.Context, name string) ([]byte, error)

	// Stat describes the object called name without reading or verifying
	// it, or returns ErrNotFound.
	Stat(ctx context.Context, name string) (Info, error)

	// Delete removes the object called name, for garbage collection of
	// content no asset refers to. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error

	// List calls fn with every object in the store, in no particular order,
	// and stops at the first error fn returns, returning it. A collector
	// that deletes what no asset refers to must spare objects younger than
	// the time between a put and the record of the asset that refers to it
	// (Info.Modified), or it races the issue in progress.
	List(ctx context.Context, fn func(Info) error) error

	// Check reports whether the store can serve requests (for /readyz).
	Check(ctx context.Context) error
}

// Info describes a stored object.
type Info struct {
	Name     string    // hex SM3 digest of the object's bytes
	Size     int64     // length in bytes
	Modified time.Time // when the object was last written
}

// DefaultMaxSize is the largest object a store accepts unless WithMaxSize says
// otherwise: room for scanned licences and contracts, small enough to buffer.
const DefaultMaxSize = 64 << 20

var (
	// ErrNotFound reports that no object has the name asked for.
	ErrNotFound = errors.New("object not found")

	// ErrTampered reports an object whose bytes do not hash to its name: it
	// was modified, truncated or replaced on the storage node. Its bytes are
	// never returned.
	ErrTampered = errors.New("object tampered: content does not match its SM3 name")

	// ErrTooLarge reports an object longer than the store's size limit.
	ErrTooLarge = errors.New("object too large")

	// ErrInvalidName reports a name that is not a lowercase hex SM3 digest
	// and so cannot name an object.
	ErrInvalidName = errors.New("invalid object name: want 64 lowercase hex digits")
)

// Option adjusts a store when it is opened.
type Option func(*options)

type options struct {
	maxSize int64
}

// WithMaxSize sets the largest object, in bytes, that the store writes or
// reads (DefaultMaxSize when not given).
func WithMaxSize(n int64) Option {
	return func(o *options) { o.maxSize = n }
}

func applyOptions(opts []Option) (options, error) {
	o := options{maxSize: DefaultMaxSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxSize <= 0 {
		return o, fmt.Errorf("objectstore: max size %d must be positive", o.maxSize)
	}
	return o, nil
}

// Name returns the name an object with bytes data is stored under: the
// lowercase hex SM3 digest of data.
func Name(data []byte) string {
	return gm.Hex(data)
}

// checkName returns ErrInvalidName unless name is 64 lowercase hex digits.
// Besides refusing garbage early, it keeps a name from ever being a path
// (no "/" or "..") in the filesystem store.
func checkName(name string) error {
	if len(name) != 2*gm.SM3Size {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w: %q", ErrInvalidName, name)
		}
	}
	return nil
}

// verify returns nil when data hashes to name, else an error wrapping
// ErrTampered that names both digests.
func verify(name string, data []byte) error {
	sum := gm.Sum(data)
	if got := hex.EncodeToString(sum[:]); got != name {
		return fmt.Errorf("objectstore: object %s: %w (its %d bytes hash to %s)", name, ErrTampered, len(data), got)
	}
	return nil
}

// fetcher is implemented by this package's stores: fetch reads an object,
// bounded by the size limit, WITHOUT verifying it. Only GetSealed uses it, to
// check the digest on one core while SM4-GCM opens the ciphertext on another;
// it returns nothing to its caller until both have succeeded.
type fetcher interface {
	fetch(ctx context.Context, name string) ([]byte, error)
}

// namedPutter is implemented by this package's stores: putNamed stores data
// under name, which the caller has computed as the SM3 digest of data. Only
// PutSealed uses it, with the digest gm.SealGCMSum computed while sealing.
type namedPutter interface {
	putNamed(ctx context.Context, name string, data []byte) error
}
