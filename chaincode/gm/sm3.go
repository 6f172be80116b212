package gm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

const (
	// SM3Size is the length in bytes of an SM3 digest.
	SM3Size = sm3.Size

	// SaltSize is the length in bytes of the salts NewSalt returns.
	SaltSize = 16
)

// Sum returns the SM3 digest of data.
func Sum(data []byte) [SM3Size]byte {
	return sm3.Sum(data)
}

// Hex returns the SM3 digest of data in lowercase hexadecimal, the form in
// which digests are stored in ledger state.
func Hex(data []byte) string {
	d := sm3.Sum(data)
	return hex.EncodeToString(d[:])
}

// NewHash returns a streaming SM3 hash, for content too large to hold in memory.
func NewHash() hash.Hash {
	return sm3.New()
}

// HMAC returns the HMAC-SM3 of data under key. Compare MACs with hmac.Equal,
// never with bytes.Equal.
func HMAC(key, data []byte) []byte {
	m := hmac.New(sm3.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// NewSalt returns SaltSize random bytes for use with Commitment.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("gm: new salt: %w", err)
	}
	return salt, nil
}

// Commitment returns the hex SM3 digest of salt‖data. It commits on chain to
// a value (an identity number, an authorization code) without revealing it.
//
// The salt must be secret, random and of a fixed length for a given use
// (NewSalt gives one): identity numbers have little entropy and fall to a
// dictionary search without it, and because salt and data are concatenated
// without a length prefix, salts of varying length would let the boundary
// between them shift.
func Commitment(salt, data []byte) string {
	return hex.EncodeToString(commit(salt, data))
}

// VerifyCommitment reports whether commitment, in either hex case, is the
// Commitment of salt and data. The comparison is constant-time so that timing
// does not reveal how much of a guessed authorization code matched.
func VerifyCommitment(salt, data []byte, commitment string) bool {
	want, err := hex.DecodeString(commitment)
	if err != nil || len(want) != SM3Size {
		return false
	}
	return subtle.ConstantTimeCompare(commit(salt, data), want) == 1
}

func commit(salt, data []byte) []byte {
	h := sm3.New()
	h.Write(salt)
	h.Write(data)
	return h.Sum(nil)
}
