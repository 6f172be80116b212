package statedb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

var errBadValue = errors.New("statedb: malformed stored value")

// encodeValue encodes a state value as: block number and tx number (8 bytes big endian
// each), the number of metadata entries (uvarint), each entry's name and value
// (uvarint length, bytes), then the value itself.
func encodeValue(v txsim.Version, metadata map[string][]byte, value []byte) []byte {
	n := 16 + binary.MaxVarintLen64 + len(value)
	for name, val := range metadata {
		n += 2*binary.MaxVarintLen64 + len(name) + len(val)
	}
	b := make([]byte, 16, n)
	binary.BigEndian.PutUint64(b[0:8], v.BlockNum)
	binary.BigEndian.PutUint64(b[8:16], v.TxNum)
	b = binary.AppendUvarint(b, uint64(len(metadata)))
	for _, name := range slices.Sorted(maps.Keys(metadata)) {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(len(metadata[name])))
		b = append(b, metadata[name]...)
	}
	return append(b, value...)
}

// decodeValue decodes what encodeValue encoded, copying out of b (which bbolt owns).
func decodeValue(b []byte) (*txsim.VersionedValue, error) {
	if len(b) < 17 {
		return nil, errBadValue
	}
	vv := &txsim.VersionedValue{Version: txsim.Version{
		BlockNum: binary.BigEndian.Uint64(b[0:8]),
		TxNum:    binary.BigEndian.Uint64(b[8:16]),
	}}
	rest := b[16:]
	count, n := binary.Uvarint(rest)
	if n <= 0 || count > uint64(len(rest)) {
		return nil, errBadValue
	}
	rest = rest[n:]
	chunk := func() ([]byte, error) {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return nil, errBadValue
		}
		c := rest[n : n+int(l)]
		rest = rest[n+int(l):]
		return c, nil
	}
	if count > 0 {
		vv.Metadata = make(map[string][]byte, count)
		for range count {
			name, err := chunk()
			if err != nil {
				return nil, err
			}
			val, err := chunk()
			if err != nil {
				return nil, err
			}
			vv.Metadata[string(name)] = append([]byte(nil), val...)
		}
	}
	vv.Value = append([]byte(nil), rest...)
	return vv, nil
}

// historyPrefix returns the prefix of the history keys of key.
func historyPrefix(key string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(key)+16), uint64(len(key)))
	return append(b, key...)
}

func historyKey(key string, v txsim.Version) []byte {
	b := historyPrefix(key)
	b = binary.BigEndian.AppendUint64(b, v.BlockNum)
	return binary.BigEndian.AppendUint64(b, v.TxNum)
}

func encodeTxLoc(loc TxLoc) []byte {
	b := make([]byte, 17)
	binary.BigEndian.PutUint64(b[0:8], loc.BlockNum)
	binary.BigEndian.PutUint64(b[8:16], loc.TxNum)
	if loc.Code < 0 || loc.Code > 255 {
		panic(fmt.Sprintf("validation code %d does not fit a byte", loc.Code))
	}
	b[16] = byte(loc.Code)
	return b
}
