package statedb

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrDiffer is wrapped by Compare when two databases hold different data.
var ErrDiffer = errors.New("statedb: databases differ")

// Stats counts what a database holds.
type Stats struct {
	Keys, HistoryEntries, TxIDs uint64
}

// Compare walks the state, history and transaction index of a and b (the savepoint is
// not compared) and returns an error wrapping ErrDiffer at the first difference, and
// the counts of a.
func Compare(a, b *DB) (Stats, error) {
	var st Stats
	err := a.bolt.View(func(ta *bolt.Tx) error {
		return b.bolt.View(func(tb *bolt.Tx) error {
			for _, name := range [][]byte{bucketState, bucketHistory, bucketTxIDs} {
				n, err := compareBuckets(string(name), ta.Bucket(name), tb.Bucket(name))
				if err != nil {
					return err
				}
				switch string(name) {
				case string(bucketState):
					st.Keys = n
				case string(bucketHistory):
					st.HistoryEntries = n
				default:
					st.TxIDs = n
				}
			}
			return nil
		})
	})
	return st, err
}

// compareBuckets compares two buckets recursively and returns how many values a holds.
func compareBuckets(path string, a, b *bolt.Bucket) (uint64, error) {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return 0, nil
		}
		return 0, fmt.Errorf("%s exists in only one: %w", path, ErrDiffer)
	}
	ca, cb := a.Cursor(), b.Cursor()
	ka, va := ca.First()
	kb, vb := cb.First()
	var n uint64
	for ka != nil || kb != nil {
		if !bytes.Equal(ka, kb) {
			return n, fmt.Errorf("%s: key %q against %q: %w", path, ka, kb, ErrDiffer)
		}
		switch {
		case va == nil && vb == nil:
			m, err := compareBuckets(path+"/"+string(ka), a.Bucket(ka), b.Bucket(kb))
			if err != nil {
				return n, err
			}
			n += m
		case !bytes.Equal(va, vb):
			return n, fmt.Errorf("%s: value of %q: %w", path, ka, ErrDiffer)
		default:
			n++
		}
		ka, va = ca.Next()
		kb, vb = cb.Next()
	}
	return n, nil
}
