package keys

import (
	"crypto/pbkdf2"
	"fmt"
	"unicode/utf8"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// KDFPBKDF2SM3 is PBKDF2 (RFC 8018 §5.2) with HMAC-SM3 as its pseudorandom
// function, the password-based key derivation of GM/T 0091-2020 built only on
// the national hash (PRF identifier hmacWithSM3, 1.2.156.10197.1.401.2).
// docs/keys.md explains the choice and the cost.
const KDFPBKDF2SM3 = "pbkdf2-hmac-sm3"

// DefaultIterations is the PBKDF2 iteration count new envelopes get: about
// 130 ms of CPU per derivation on the development machine (BenchmarkDerive,
// 0.42 µs an iteration); see docs/keys.md before changing it.
const DefaultIterations = 300_000

// Bounds on an iteration count, checked when parameters are read back so that
// a corrupted row can neither make a key trivially cheap to attack nor tie up
// a CPU for minutes.
const (
	MinIterations = 1_000
	MaxIterations = 10_000_000
)

// Password bounds. The minimum is the locker policy's floor; the maximum only
// keeps request bodies and HMAC input small.
const (
	MinPasswordLen = 8    // characters
	MaxPasswordLen = 1024 // bytes
)

// KDF names a password-based key derivation and its cost. It is stored with
// every envelope so that the cost can be raised later: an envelope with
// weaker parameters than the service's is re-sealed the next time its
// password opens it.
type KDF struct {
	Algorithm  string
	Iterations int
}

// DefaultKDF is the derivation new envelopes use.
var DefaultKDF = KDF{Algorithm: KDFPBKDF2SM3, Iterations: DefaultIterations}

// Validate reports whether k is a derivation this package can run within the
// bounds.
func (k KDF) Validate() error {
	if k.Algorithm != KDFPBKDF2SM3 {
		return fmt.Errorf("%w: key derivation %q, want %q", ErrInvalid, k.Algorithm, KDFPBKDF2SM3)
	}
	if k.Iterations < MinIterations || k.Iterations > MaxIterations {
		return fmt.Errorf("%w: %d PBKDF2 iterations, want %d to %d", ErrInvalid, k.Iterations, MinIterations, MaxIterations)
	}
	return nil
}

// weakerThan reports whether envelopes made with k should be re-sealed under
// policy.
func (k KDF) weakerThan(policy KDF) bool {
	return k.Algorithm != policy.Algorithm || k.Iterations < policy.Iterations
}

// derive returns the SM4 key that password and salt give under k. The caller
// zeroes it after use.
func (k KDF) derive(password string, salt []byte) ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if len(salt) != gm.SaltSize {
		return nil, fmt.Errorf("%w: salt of %d bytes, want %d", ErrInvalid, len(salt), gm.SaltSize)
	}
	key, err := pbkdf2.Key(gm.NewHash, password, salt, k.Iterations, gm.SM4KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	return key, nil
}

// CheckNewPassword applies the password policy to a password being set.
func CheckNewPassword(password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return fmt.Errorf("%w: the unlock password must have at least %d characters", ErrInvalid, MinPasswordLen)
	}
	return nil
}

// checkPassword applies the bounds every password offered must meet; a
// password outside them is refused before any derivation or counting.
func checkPassword(password string) error {
	switch {
	case password == "":
		return fmt.Errorf("%w: the unlock password is required", ErrInvalid)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("%w: the unlock password is longer than %d bytes", ErrInvalid, MaxPasswordLen)
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: the unlock password is not UTF-8", ErrInvalid)
	}
	return nil
}
