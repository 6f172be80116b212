package gm

import "errors"

// The sentinel errors below are what callers branch on with errors.Is; every
// error returned by this package wraps one of them or carries its own context.
var (
	// ErrBadKeySize reports an SM4 key that is not SM4KeySize bytes long.
	ErrBadKeySize = errors.New("bad SM4 key size")

	// ErrDecrypt reports ciphertext that cannot be decrypted: too short, badly
	// formed, failing authentication, or encrypted under another key. The
	// cases are deliberately not distinguished so that an attacker submitting
	// crafted ciphertexts learns nothing from the error.
	ErrDecrypt = errors.New("decryption failed")

	// ErrBadSignature reports an SM2 signature that does not verify.
	ErrBadSignature = errors.New("SM2 signature verification failed")

	// ErrInvalidKey reports a key that is missing, malformed or not on the
	// SM2 curve.
	ErrInvalidKey = errors.New("invalid SM2 key")

	// ErrInvalidCertificate reports a certificate that is missing or cannot
	// be parsed.
	ErrInvalidCertificate = errors.New("invalid certificate")

	// ErrUntrustedCertificate reports a certificate that does not chain to a
	// trusted root, is outside its validity period, or is not SM2 throughout.
	ErrUntrustedCertificate = errors.New("untrusted certificate")
)
