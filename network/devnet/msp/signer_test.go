package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkSigningIdentity_SignDigest compares SignDigest (RFC 6979 nonce)
// with crypto/ecdsa.Sign (hedged random nonce) and the same low-S encoding.
func BenchmarkSigningIdentity_SignDigest(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("benchmark"))
	b.Run("crypto/ecdsa.Sign", func(b *testing.B) {
		for b.Loop() {
			r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
			if err != nil {
				b.Fatal(err)
			}
			marshalSignature(r, toLowS(key.Curve, s))
		}
	})
	b.Run("SignDigest", func(b *testing.B) {
		id := &SigningIdentity{key: key}
		for b.Loop() {
			if _, err := id.SignDigest(&digest); err != nil {
				b.Fatal(err)
			}
		}
	})
}
