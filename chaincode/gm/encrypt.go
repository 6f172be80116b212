package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// asn1Sequence is the DER tag that opens a GM/T 0009 SM2 ciphertext.
const asn1Sequence = 0x30

// Encrypt encrypts plaintext to pub with SM2 public-key encryption
// (GB/T 32918.4) and returns the GM/T 0009 ASN.1 ciphertext
// SEQUENCE{x, y, C3, C2}. It is meant for short secrets such as an SM4 data
// key; encrypt content with SealGCM under such a key.
func Encrypt(pub *ecdsa.PublicKey, plaintext []byte) ([]byte, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, fmt.Errorf("gm: SM2 encrypt: %w", err)
	}
	// An empty message has no defined SM2 ciphertext (the KDF output t would
	// be empty, and the standard retries while t is all zero); gmsm silently
	// returns nil for it, which no Decrypt accepts.
	if len(plaintext) == 0 {
		return nil, errors.New("gm: SM2 encrypt: empty plaintext")
	}
	ct, err := sm2.EncryptASN1(rand.Reader, pub, plaintext)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 encrypt: %w", err)
	}
	return ct, nil
}

// Decrypt decrypts a GM/T 0009 ASN.1 SM2 ciphertext made by Encrypt. Every
// failure wraps ErrDecrypt and nothing more, so the error is no oracle.
func Decrypt(priv *sm2.PrivateKey, ciphertext []byte) ([]byte, error) {
	if err := checkPrivateKey(priv); err != nil {
		return nil, fmt.Errorf("gm: SM2 decrypt: %w", err)
	}
	// gmsm also accepts raw C1C3C2 bytes when the input does not start with a
	// SEQUENCE; only the ASN.1 form is accepted so that a ciphertext has a
	// single encoding.
	if len(ciphertext) == 0 || ciphertext[0] != asn1Sequence {
		return nil, fmt.Errorf("gm: SM2 decrypt: %w: not an ASN.1 ciphertext", ErrDecrypt)
	}
	plaintext, err := sm2.Decrypt(priv, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 decrypt: %w", ErrDecrypt)
	}
	return plaintext, nil
}
