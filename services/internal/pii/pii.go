// Package pii protects personal information at rest (GB/T 35273, clause 8.3):
// names, ID numbers and phone numbers are stored SM4-GCM encrypted, found
// again through an HMAC-SM3 blind index, and masked in every response that
// does not need them in full.
//
// One master key (32 random bytes, from configuration) yields two keys by
// HMAC-SM3 with distinct labels: the encryption key and the index key, so
// the index leaks nothing about the ciphertexts' key. Each ciphertext starts
// with the number of the key that sealed it, so the master key can be rotated
// (old keys kept for reading) without rewriting every row at once.
package pii

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// MasterKeySize is the size of a master key in bytes.
const MasterKeySize = 32

// ErrUnknownKey means a ciphertext was sealed by a key this Protector does not
// hold.
var ErrUnknownKey = errors.New("pii: ciphertext sealed by an unknown key")

// ErrCorrupt means a ciphertext failed authentication: it was altered, or
// belongs to another field or row.
var ErrCorrupt = errors.New("pii: ciphertext does not authenticate")

type keyPair struct {
	enc   []byte // SM4 key
	index []byte // HMAC-SM3 key
}

// Protector seals, opens and indexes personal data.
type Protector struct {
	current byte
	keys    map[byte]keyPair
}

// New returns a Protector whose current key is master, numbered version;
// older master keys (by version) stay available for opening old ciphertexts.
// Blind indexes are always computed with the current key, so rotating the
// master key requires re-indexing (and is why versions are explicit).
func New(version byte, master []byte, older map[byte][]byte) (*Protector, error) {
	p := &Protector{current: version, keys: map[byte]keyPair{}}
	add := func(v byte, m []byte) error {
		if len(m) != MasterKeySize {
			return fmt.Errorf("pii: master key %d is %d bytes, want %d", v, len(m), MasterKeySize)
		}
		p.keys[v] = keyPair{
			enc:   gm.HMAC(m, []byte("kaiban/pii/encryption"))[:gm.SM4KeySize],
			index: gm.HMAC(m, []byte("kaiban/pii/blind-index")),
		}
		return nil
	}
	if err := add(version, master); err != nil {
		return nil, err
	}
	for v, m := range older {
		if v == version {
			return nil, fmt.Errorf("pii: key version %d given twice", v)
		}
		if err := add(v, m); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Seal encrypts value for column field of the row identified by rowID. The
// field and row are bound as additional data, so a ciphertext copied into
// another column or row does not open.
func (p *Protector) Seal(field, rowID, value string) ([]byte, error) {
	sealed, err := gm.SealGCM(p.keys[p.current].enc, []byte(value), aad(field, rowID))
	if err != nil {
		return nil, fmt.Errorf("pii: seal %s: %w", field, err)
	}
	return append([]byte{p.current}, sealed...), nil
}

// Open decrypts a value sealed by Seal for the same field and row.
func (p *Protector) Open(field, rowID string, ciphertext []byte) (string, error) {
	if len(ciphertext) < 1 {
		return "", ErrCorrupt
	}
	k, ok := p.keys[ciphertext[0]]
	if !ok {
		return "", ErrUnknownKey
	}
	plain, err := gm.OpenGCM(k.enc, ciphertext[1:], aad(field, rowID))
	if err != nil {
		return "", fmt.Errorf("%w (%s)", ErrCorrupt, field)
	}
	return string(plain), nil
}

func aad(field, rowID string) []byte { return []byte(field + "\x00" + rowID) }

// Index returns the blind index of value for field: hex HMAC-SM3 under the
// index key of the field name and the normalised value. Equal values give
// equal indexes, so an exact-match lookup needs no decryption; different
// fields give unrelated indexes.
func (p *Protector) Index(field, value string) string {
	mac := gm.HMAC(p.keys[p.current].index, []byte(field+"\x00"+Normalize(value)))
	return hex.EncodeToString(mac)
}

// IndexEqual compares two blind indexes in constant time.
func IndexEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Normalize is what Index hashes: surrounding space removed, inner spaces and
// dashes dropped, letters upper-cased (ID numbers end in X or x).
func Normalize(v string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(v) {
		if unicode.IsSpace(r) || r == '-' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
