package statedb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta    = []byte("meta")
	bucketState   = []byte("state")
	bucketHistory = []byte("history")
	bucketTxIDs   = []byte("txids")
	keySavepoint  = []byte("savepoint")
)

// ErrInUse is returned by Open when another process holds the database.
var ErrInUse = errors.New("statedb: database is in use by another process")

// TxLoc is where a transaction was committed and with which validation code.
type TxLoc struct {
	BlockNum uint64
	TxNum    uint64
	Code     peer.TxValidationCode
}

// DB is the state database.
type DB struct {
	bolt *bolt.DB
}

// Options configure Open.
type Options struct {
	// ReadOnly opens the file for reading; it then shares the file with other readers
	// but not with a writer.
	ReadOnly bool
	// Sync makes every commit fsync. Devnet leaves it off: the block file is the
	// durable record and the state is rebuilt from it.
	Sync bool
}

// Open opens or creates the database file at path.
func Open(path string, opts Options) (*DB, error) {
	b, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:         time.Second,
		ReadOnly:        opts.ReadOnly,
		NoSync:          !opts.Sync,
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	db := &DB{bolt: b}
	if !opts.ReadOnly {
		err := b.Update(func(tx *bolt.Tx) error {
			for _, name := range [][]byte{bucketMeta, bucketState, bucketHistory, bucketTxIDs} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("initialise state database: %w", err)
		}
	}
	return db, nil
}

// Meta returns the value of an entry of the meta bucket, nil when it has none.
func (db *DB) Meta(key string) ([]byte, error) {
	var v []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			v = append([]byte(nil), b.Get([]byte(key))...)
		}
		return nil
	})
	return v, err
}

// SetMeta writes meta entries in their own transaction and flushes the database to
// disk, so that they are durable before anything written after them.
func (db *DB) SetMeta(entries map[string][]byte) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for k, v := range entries {
			if string(k) == string(keySavepoint) {
				return fmt.Errorf("meta entry %q is reserved", k)
			}
			if err := tx.Bucket(bucketMeta).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	if err := db.bolt.Sync(); err != nil {
		return fmt.Errorf("sync state database: %w", err)
	}
	return nil
}

// Close flushes the database to disk and closes it.
func (db *DB) Close() error {
	if !db.bolt.IsReadOnly() {
		if err := db.bolt.Sync(); err != nil {
			db.bolt.Close()
			return fmt.Errorf("sync state database: %w", err)
		}
	}
	return db.bolt.Close()
}

// Savepoint returns the number of the last block applied; ok is false when no block
// has been.
func (db *DB) Savepoint() (num uint64, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		num, ok = savepoint(tx)
		return nil
	})
	return num, ok, err
}

func savepoint(tx *bolt.Tx) (uint64, bool) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, false
	}
	v := b.Get(keySavepoint)
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// TxLoc returns where transaction txID was first committed.
func (db *DB) TxLoc(txID string) (loc TxLoc, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		loc, ok = txLoc(tx, txID)
		return nil
	})
	return loc, ok, err
}

func txLoc(tx *bolt.Tx, txID string) (TxLoc, bool) {
	b := tx.Bucket(bucketTxIDs)
	if b == nil {
		return TxLoc{}, false
	}
	v := b.Get([]byte(txID))
	if len(v) != 17 {
		return TxLoc{}, false
	}
	return TxLoc{
		BlockNum: binary.BigEndian.Uint64(v[0:8]),
		TxNum:    binary.BigEndian.Uint64(v[8:16]),
		Code:     peer.TxValidationCode(v[16]),
	}, true
}

// Snapshot opens a read-only view of the last committed state. It must be closed.
func (db *DB) Snapshot() (*Snapshot, error) {
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("begin state snapshot: %w", err)
	}
	return &Snapshot{reader: reader{tx: tx}}, nil
}

// Begin starts the write transaction of one block (or of several, during replay).
// Only one write transaction runs at a time; Begin waits for the previous one.
func (db *DB) Begin() (*WriteTx, error) {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return nil, fmt.Errorf("begin state update: %w", err)
	}
	return &WriteTx{reader: reader{tx: tx}}, nil
}
