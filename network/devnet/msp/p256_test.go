package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"
)

// TestP256Table checks the precomputed-table verification against crypto/ecdsa
// on valid signatures and on spoilt ones: another digest, r or s changed, r and
// s out of range, the high-S twin, and a signature of another key.
func TestP256Table(t *testing.T) {
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for k := range 8 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		table := newP256Table(&key.PublicKey)
		if table == nil {
			t.Fatal("no table for a P-256 key")
		}
		for m := range 25 {
			digest := sha256.Sum256(fmt.Appendf(nil, "message %d of key %d", m, k))
			r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			r2, s2, _ := ecdsa.Sign(rand.Reader, other, digest[:])
			otherDigest := sha256.Sum256(fmt.Appendf(nil, "other %d", m))
			one := big.NewInt(1)
			cases := []struct {
				name   string
				digest [32]byte
				r, s   *big.Int
			}{
				{"valid", digest, r, s},
				{"high S", digest, r, new(big.Int).Sub(p256N, s)},
				{"other digest", otherDigest, r, s},
				{"r+1", digest, new(big.Int).Add(r, one), s},
				{"s+1", digest, r, new(big.Int).Add(s, one)},
				{"r+n", digest, new(big.Int).Add(r, p256N), s},
				{"s+n", digest, r, new(big.Int).Add(s, p256N)},
				{"r=0", digest, new(big.Int), s},
				{"s=0", digest, r, new(big.Int)},
				{"r=n", digest, new(big.Int).Set(p256N), s},
				{"other key", digest, r2, s2},
				{"swapped", digest, s, r},
			}
			for _, c := range cases {
				want := ecdsa.Verify(&key.PublicKey, c.digest[:], c.r, c.s)
				if got := table.verify(&c.digest, c.r, c.s); got != want {
					t.Fatalf("key %d message %d %s: table says %t, crypto/ecdsa %t", k, m, c.name, got, want)
				}
				if c.name == "valid" && !want {
					t.Fatal("crypto/ecdsa rejects a fresh signature")
				}
			}
		}
	}
}

// TestP256TableMul checks scalar multiplication by the table against
// nistec's own, on edge scalars and random ones.
func TestP256TableMul(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	table := newP256Table(&key.PublicKey)
	nMinus1 := new(big.Int).Sub(p256N, big.NewInt(1))
	scalars := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(63), big.NewInt(64), nMinus1, new(big.Int).Lsh(big.NewInt(1), 255)}
	for range 50 {
		s, _ := rand.Int(rand.Reader, p256N)
		scalars = append(scalars, s)
	}
	for _, s := range scalars {
		var b [32]byte
		s.FillBytes(b[:])
		x, y := elliptic.P256().ScalarMult(key.X, key.Y, b[:])
		got := table.mul(&b).Bytes()
		want := elliptic.Marshal(elliptic.P256(), x, y)
		if x.Sign() == 0 && y.Sign() == 0 {
			want = []byte{0}
		}
		if string(got) != string(want) {
			t.Fatalf("scalar %x: table %x, want %x", b, got, want)
		}
	}
}

func BenchmarkP256Verify(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("benchmark"))
	r, s, _ := ecdsa.Sign(rand.Reader, key, digest[:])
	b.Run("crypto/ecdsa", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.Verify(&key.PublicKey, digest[:], r, s) {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		table := newP256Table(&key.PublicKey)
		for b.Loop() {
			if !table.verify(&digest, r, s) {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("build-table", func(b *testing.B) {
		for b.Loop() {
			newP256Table(&key.PublicKey)
		}
	})
}

// TestMarshalSignature checks the hand-made DER encoding against asn1.Marshal.
func TestMarshalSignature(t *testing.T) {
	values := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(127), big.NewInt(128), big.NewInt(255), big.NewInt(256), p256N, new(big.Int).Lsh(big.NewInt(1), 511)}
	for range 200 {
		v, _ := rand.Int(rand.Reader, p256N)
		values = append(values, v, new(big.Int).Rsh(v, uint(v.Bit(0)*100)))
	}
	for i, r := range values {
		s := values[(i*7+3)%len(values)]
		got, err := marshalSignature(r, s)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := asn1.Marshal(ecdsaSignature{r, s})
		if string(got) != string(want) {
			t.Fatalf("r=%x s=%x: %x, asn1.Marshal gives %x", r, s, got, want)
		}
	}
}
