// Package ledger is the state access the four contracts share: records as JSON
// under composite keys, index entries, pages with bookmarks, the one chaincode
// event a transaction may carry, and the transaction's time.
package ledger

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Stub is the part of shim.ChaincodeStubInterface the contracts use.
type Stub = shim.ChaincodeStubInterface

// Key builds a composite key; objectType and attributes come from the
// contracts' own constants and validated IDs, so an error here is a bug.
func Key(stub Stub, objectType string, attrs ...string) (string, error) {
	k, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", fmt.Errorf("composite key %s%v: %w", objectType, attrs, err)
	}
	return k, nil
}

// Get reads the record under key into v and reports whether it exists.
func Get(stub Stub, key string, v any) (bool, error) {
	raw, err := GetRaw(stub, key)
	if err != nil || raw == nil {
		return false, err
	}
	return true, Decode(key, raw, v)
}

// GetRaw returns the stored bytes of the record under key, nil when there
// is none.
func GetRaw(stub Stub, key string) ([]byte, error) {
	raw, err := stub.GetState(key)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, err)
	}
	return raw, nil
}

// Decode decodes raw, the record stored under key, into v.
func Decode(key string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

// MustGet reads the record under key into v; a missing record is a NOT_FOUND
// error naming what.
func MustGet(stub Stub, key string, v any, what string) error {
	ok, err := Get(stub, key, v)
	if err != nil {
		return err
	}
	if !ok {
		return model.Errorf(model.CodeNotFound, "%s not found", what)
	}
	return nil
}

// Put writes v as JSON under key.
func Put(stub Stub, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	if err := stub.PutState(key, raw); err != nil {
		return fmt.Errorf("write %q: %w", key, err)
	}
	return nil
}

// indexValue marks an index entry; Fabric refuses empty values.
var indexValue = []byte{0}

// PutIndex writes an index entry: a composite key whose attributes are the
// indexed value(s) followed by the record's ID.
func PutIndex(stub Stub, index string, attrs ...string) error {
	k, err := Key(stub, index, attrs...)
	if err != nil {
		return err
	}
	if err := stub.PutState(k, indexValue); err != nil {
		return fmt.Errorf("write index %q: %w", k, err)
	}
	return nil
}

// DelIndex removes an index entry.
func DelIndex(stub Stub, index string, attrs ...string) error {
	k, err := Key(stub, index, attrs...)
	if err != nil {
		return err
	}
	if err := stub.DelState(k); err != nil {
		return fmt.Errorf("delete index %q: %w", k, err)
	}
	return nil
}

// Emit sets the transaction's chaincode event to name with record as JSON
// payload. Fabric keeps one event per transaction, so each transaction
// function emits exactly once, naming its main change.
func Emit(stub Stub, name string, record any) error {
	raw, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", name, err)
	}
	if err := stub.SetEvent(name, raw); err != nil {
		return fmt.Errorf("set event %s: %w", name, err)
	}
	return nil
}

// Now returns the transaction's timestamp in model.TimeFormat. It comes from
// the proposal header, so every endorser computes the same value.
func Now(stub Stub) (string, error) {
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return "", fmt.Errorf("transaction timestamp: %w", err)
	}
	return model.FormatTime(ts.AsTime()), nil
}

// Stamp is the time and transaction of a write, for the CreatedAt/UpdatedAt
// fields of records.
type Stamp struct {
	At string
	Tx string
}

// NewStamp reads the transaction's time and ID.
func NewStamp(stub Stub) (Stamp, error) {
	at, err := Now(stub)
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{At: at, Tx: stub.GetTxID()}, nil
}

// MaxPageSize bounds a query page; larger requests are cut to it.
const MaxPageSize = 200

// DefaultPageSize applies when a caller asks for 0.
const DefaultPageSize = 50

// Page walks one page of the composite keys under objectType and attrs,
// calling fn with each key's attributes and value, and returns the bookmark
// of the next page ("" when this was the last).
func Page(stub Stub, objectType string, attrs []string, pageSize int32, bookmark string, fn func(keyAttrs []string, value []byte) error) (string, error) {
	// A bookmark is the start key of the range the peer records in the read
	// set, a protobuf string: a non-UTF-8 one would fail the endorsement with
	// an unclassified error.
	if !utf8.ValidString(bookmark) {
		return "", model.Errorf(model.CodeInvalid, "bookmark is not valid UTF-8")
	}
	// Fabric lets the bookmark replace the range's start key, so a bookmark
	// from outside this query's key prefix would walk other records' keys.
	prefix, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", model.Errorf(model.CodeInvalid, "query %s: %v", objectType, err)
	}
	if bookmark != "" && !strings.HasPrefix(bookmark, prefix) {
		return "", model.Errorf(model.CodeInvalid, "bookmark does not belong to this query")
	}
	switch {
	case pageSize < 0:
		return "", model.Errorf(model.CodeInvalid, "page size %d is negative", pageSize)
	case pageSize == 0:
		pageSize = DefaultPageSize
	case pageSize > MaxPageSize:
		pageSize = MaxPageSize
	}
	it, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(objectType, attrs, pageSize, bookmark)
	if err != nil {
		return "", model.Errorf(model.CodeInvalid, "query %s: %v", objectType, err)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("query %s: %w", objectType, err)
		}
		_, keyAttrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return "", fmt.Errorf("split %q: %w", kv.Key, err)
		}
		if err := fn(keyAttrs, kv.Value); err != nil {
			return "", err
		}
	}
	if meta == nil || meta.FetchedRecordsCount < pageSize {
		return "", nil
	}
	return meta.Bookmark, nil
}

// All walks every composite key under objectType and attrs. It is for small,
// bounded sets (a process's steps), never for a whole table.
func All(stub Stub, objectType string, attrs []string, fn func(keyAttrs []string, value []byte) error) error {
	it, err := stub.GetStateByPartialCompositeKey(objectType, attrs)
	if err != nil {
		return fmt.Errorf("query %s: %w", objectType, err)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return fmt.Errorf("query %s: %w", objectType, err)
		}
		_, keyAttrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return fmt.Errorf("split %q: %w", kv.Key, err)
		}
		if err := fn(keyAttrs, kv.Value); err != nil {
			return err
		}
	}
	return nil
}
