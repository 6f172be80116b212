package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// SM2PrivateKeySize is the length in bytes of an SM2 private scalar.
const SM2PrivateKeySize = 32

// PEM block types this package reads and writes.
const (
	pemPrivateKey    = "PRIVATE KEY"     // PKCS#8, what this package writes
	pemECPrivateKey  = "EC PRIVATE KEY"  // SEC 1, as most tools label it
	pemSM2PrivateKey = "SM2 PRIVATE KEY" // SEC 1, as `openssl ec` 3.x labels SM2 keys
	pemPublicKey     = "PUBLIC KEY"      // PKIX SubjectPublicKeyInfo
)

// GenerateKey returns a new SM2 private key drawn from crypto/rand.
func GenerateKey() (*sm2.PrivateKey, error) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gm: generate SM2 key: %w", err)
	}
	return priv, nil
}

// MarshalPrivateKeyPEM encodes priv as an unencrypted PKCS#8 "PRIVATE KEY"
// PEM block. The result is a secret: store it encrypted or in a key store.
func MarshalPrivateKeyPEM(priv *sm2.PrivateKey) ([]byte, error) {
	if err := checkPrivateKey(priv); err != nil {
		return nil, fmt.Errorf("gm: marshal private key: %w", err)
	}
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("gm: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes the first PEM block of data as an SM2 private
// key, either PKCS#8 ("PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY", or
// "SM2 PRIVATE KEY" as OpenSSL 3 writes it) with the SM2 curve OID. Encrypted
// PEM is not supported.
func ParsePrivateKeyPEM(data []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("gm: parse private key: %w: no PEM block", ErrInvalidKey)
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case pemPrivateKey:
		key, err = smx509.ParsePKCS8PrivateKey(block.Bytes)
	case pemECPrivateKey, pemSM2PrivateKey:
		key, err = smx509.ParseSM2PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("gm: parse private key: %w: PEM block type %q, want %q, %q or %q",
			ErrInvalidKey, block.Type, pemPrivateKey, pemECPrivateKey, pemSM2PrivateKey)
	}
	if err != nil {
		return nil, fmt.Errorf("gm: parse private key: %w: %w", ErrInvalidKey, err)
	}
	priv, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("gm: parse private key: %w: %T is not an SM2 key", ErrInvalidKey, key)
	}
	// gmsm's PKCS#8 and SEC 1 parsers accept the scalars 0 and n-1, which
	// GB/T 32918.1 forbids; sm2.NewPrivateKey enforces [1, n-2] and derives
	// the public point from the scalar, so the key is valid for every use.
	canonical, err := sm2.NewPrivateKey(priv.D.FillBytes(make([]byte, SM2PrivateKeySize)))
	if err != nil {
		return nil, fmt.Errorf("gm: parse private key: %w: %w", ErrInvalidKey, err)
	}
	return canonical, nil
}

// MarshalPublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := marshalPublicKeyDER(pub)
	if err != nil {
		return nil, fmt.Errorf("gm: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// ParsePublicKeyPEM decodes the first PEM block of data as a PKIX
// "PUBLIC KEY" holding an SM2 public key.
func ParsePublicKeyPEM(data []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("gm: parse public key: %w: no PEM block", ErrInvalidKey)
	}
	if block.Type != pemPublicKey {
		return nil, fmt.Errorf("gm: parse public key: %w: PEM block type %q, want %q",
			ErrInvalidKey, block.Type, pemPublicKey)
	}
	key, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gm: parse public key: %w: %w", ErrInvalidKey, err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != sm2.P256() {
		return nil, fmt.Errorf("gm: parse public key: %w: %T is not an SM2 key", ErrInvalidKey, key)
	}
	return pub, nil
}

// Fingerprint returns the hex SM3 digest of pub's DER SubjectPublicKeyInfo,
// a stable identifier for the key. The key is re-encoded rather than hashed
// as received, so the same key read from a compressed point, from a
// certificate or from PEM always has the same fingerprint.
func Fingerprint(pub *ecdsa.PublicKey) (string, error) {
	der, err := marshalPublicKeyDER(pub)
	if err != nil {
		return "", fmt.Errorf("gm: fingerprint: %w", err)
	}
	return Hex(der), nil
}

func marshalPublicKeyDER(pub *ecdsa.PublicKey) ([]byte, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return der, nil
}

// checkPublicKey runs before every gmsm call that takes a public key: gmsm
// panics on nil coordinates, and reports a point off the curve only as a
// failed verification, where callers need ErrInvalidKey.
func checkPublicKey(pub *ecdsa.PublicKey) error {
	switch {
	case pub == nil || pub.X == nil || pub.Y == nil:
		return fmt.Errorf("%w: missing public key", ErrInvalidKey)
	case pub.Curve != sm2.P256():
		return fmt.Errorf("%w: public key is not on the SM2 curve", ErrInvalidKey)
	case !pub.Curve.IsOnCurve(pub.X, pub.Y):
		return fmt.Errorf("%w: public key point is not on the curve", ErrInvalidKey)
	}
	return nil
}

func checkPrivateKey(priv *sm2.PrivateKey) error {
	if priv == nil || priv.D == nil {
		return fmt.Errorf("%w: missing private key", ErrInvalidKey)
	}
	return checkPublicKey(&priv.PublicKey)
}
