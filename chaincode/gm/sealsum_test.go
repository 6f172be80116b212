package gm

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
)

// The pipelined seal must give exactly SealGCM's bytes, and the digest of
// them, for every length and additional data shape: across chunk and block
// boundaries, with no, partial and whole blocks of additional data.
func TestSealGCMSum_SameBytesAsSealGCM(t *testing.T) {
	key, _ := NewDataKey()
	nonce := make([]byte, GCMNonceSize)
	rand.Read(nonce)
	for _, size := range []int{0, 1, 17, pipelineMin - 1, pipelineMin, pipelineMin + 1, pipelineMin + pipelineChunk + 15, 1<<20 + 3} {
		plaintext := make([]byte, size)
		rand.Read(plaintext)
		for _, aadLen := range []int{0, 1, 15, 16, 17, 40} {
			t.Run(fmt.Sprintf("%d/%d", size, aadLen), func(t *testing.T) {
				aad := make([]byte, aadLen)
				rand.Read(aad)
				want, err := sealGCM(key, nonce, plaintext, aad)
				if err != nil {
					t.Fatal(err)
				}
				got, sum, err := sealGCMSum(key, nonce, plaintext, aad)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("output differs from SealGCM's (tag %x, want %x)", got[len(got)-GCMTagSize:], want[len(want)-GCMTagSize:])
				}
				if sum != Sum(want) {
					t.Fatalf("digest %x is not SM3 of the output", sum)
				}
			})
		}
	}
}

func TestSealGCMSum_OpensAndRefusesTampering(t *testing.T) {
	key, _ := NewDataKey()
	plaintext := make([]byte, 2*pipelineMin+5)
	rand.Read(plaintext)
	sealed, sum, err := SealGCMSum(key, plaintext, []byte("asset-1"))
	if err != nil {
		t.Fatal(err)
	}
	if sum != Sum(sealed) {
		t.Fatal("digest is not SM3 of the output")
	}
	if got, err := OpenGCM(key, sealed, []byte("asset-1")); err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("open: %v", err)
	}
	if _, err := OpenGCM(key, sealed, []byte("asset-2")); err == nil {
		t.Fatal("opened under other additional data")
	}
	if _, _, err := SealGCMSum(make([]byte, 5), plaintext, nil); err == nil {
		t.Fatal("sealed under a 5-byte key")
	}
}

func TestGFMul_FieldLaws(t *testing.T) {
	var b [48]byte
	rand.Read(b[:])
	x, y, z := gfElem(b[:16]), gfElem(b[16:32]), gfElem(b[32:])
	one := gf128{hi: 1 << 63}
	if gfMul(x, one) != x || gfMul(one, x) != x {
		t.Fatal("1 is not the unit")
	}
	if gfMul(x, y) != gfMul(y, x) {
		t.Fatal("not commutative")
	}
	if gfMul(x, y.xor(z)) != gfMul(x, y).xor(gfMul(x, z)) {
		t.Fatal("not distributive")
	}
	if gfPow(x, 5) != gfMul(gfMul(gfMul(gfMul(x, x), x), x), x) || gfPow(x, 0) != one {
		t.Fatal("power")
	}
}

// BenchmarkSealGCMSum compares sealing then naming (SealGCM, Sum) with the
// pipelined SealGCMSum and with SealGCM alone, in MB/s of plaintext.
func BenchmarkSealGCMSum(b *testing.B) {
	key, _ := NewDataKey()
	for _, size := range []int{1 << 20, 16 << 20} {
		plaintext := make([]byte, size)
		rand.Read(plaintext)
		aad := []byte("asset-bench")
		b.Run(fmt.Sprintf("seal/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				SealGCM(key, plaintext, aad)
			}
		})
		b.Run(fmt.Sprintf("seal+sum/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				out, _ := SealGCM(key, plaintext, aad)
				Sum(out)
			}
		})
		b.Run(fmt.Sprintf("sealsum/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				SealGCMSum(key, plaintext, aad)
			}
		})
	}
}
