package gm

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/emmansun/gmsm/sm3"
)

// SealGCMSum is SealGCM that also returns the SM3 digest of its output, the
// name a content-addressed store files it under. For large inputs the digest
// is computed on a second core while the sealing goes on, so sealing and
// naming take about as long as sealing alone (SealGCM and then Sum take the
// sum of both, since SM3 costs about as much per byte as SM4-GCM).
//
// The output is byte for byte what SealGCM would produce with the same
// nonce: nonce(12)‖ciphertext‖tag(16), opened by OpenGCM.
func SealGCMSum(key, plaintext, additionalData []byte) ([]byte, [SM3Size]byte, error) {
	nonce := make([]byte, GCMNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, [SM3Size]byte{}, fmt.Errorf("gm: seal SM4-GCM: %w", err)
	}
	return sealGCMSum(key, nonce, plaintext, additionalData)
}

// pipelineMin is the plaintext length from which SealGCMSum hashes on a
// second goroutine; below it the hand-over costs more than it saves.
const pipelineMin = 256 << 10

// pipelineChunk is the unit handed from the encrypting goroutine to the
// hashing one: large enough that the hand-over is noise, small enough that
// the hashing starts almost at once and stays in cache.
const pipelineChunk = 128 << 10

// pipelineMax bounds the plaintext pipelined: GCM increments only the low 32
// bits of its counter, crypto/cipher's CTR all 128, so the two agree only
// while the low word does not wrap (2^32 blocks, 64 GiB). Far below that.
const pipelineMax = 1 << 34

// sealGCMSum seals in two passes on this goroutine — SM4-CTR for the
// ciphertext, chunk by chunk, then a GMAC of the whole ciphertext for the tag
// — while a second goroutine hashes each chunk as soon as it is encrypted.
//
// GCM's tag is E(J0) ⊕ GHASH_H(pad(A) ‖ pad(C) ‖ L) with L the bit lengths of
// A and C. The assembly GCM of gmsm only computes GHASH inside a whole Seal,
// so the tag comes from Seal(nonce, plaintext=∅, A'=C) — the same blocks of C
// but without A in front and with the length block L' = len(C)‖0 — and is
// corrected with GHASH's linearity (X_i = (X_{i-1} ⊕ B_i)·H):
//
//	T = T' ⊕ S_A·H^(m+1) ⊕ (L ⊕ L')·H
//
// where S_A is GHASH over pad(A) alone and m the number of blocks of C. Both
// terms are a handful of GF(2^128) products, done in Go. The same nonce is
// used for the inner Seal, whose tag T' never leaves this function: nothing
// is ever output twice under one nonce.
func sealGCMSum(key, nonce, plaintext, additionalData []byte) ([]byte, [SM3Size]byte, error) {
	if len(plaintext) < pipelineMin || len(plaintext) > pipelineMax || len(nonce) != GCMNonceSize {
		out, err := sealGCM(key, nonce, plaintext, additionalData)
		if err != nil {
			return nil, [SM3Size]byte{}, err
		}
		return out, Sum(out), nil
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, [SM3Size]byte{}, fmt.Errorf("gm: seal SM4-GCM: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, [SM3Size]byte{}, fmt.Errorf("gm: seal SM4-GCM: %w", err)
	}

	out := make([]byte, GCMNonceSize+len(plaintext)+GCMTagSize)
	copy(out, nonce)
	ct := out[GCMNonceSize : GCMNonceSize+len(plaintext)]

	// The hasher reads each chunk after it is encrypted: the channel send
	// orders the write before the read.
	chunks := make(chan []byte, len(plaintext)/pipelineChunk+1)
	h := sm3.New()
	var wg sync.WaitGroup
	wg.Go(func() {
		h.Write(out[:GCMNonceSize])
		for c := range chunks {
			h.Write(c)
		}
	})

	var iv [16]byte
	copy(iv[:], nonce)
	iv[15] = 2 // inc32(J0): the first counter block of the ciphertext
	ctr := cipher.NewCTR(block, iv[:])
	for off := 0; off < len(plaintext); off += pipelineChunk {
		end := min(off+pipelineChunk, len(plaintext))
		ctr.XORKeyStream(ct[off:end], plaintext[off:end])
		chunks <- ct[off:end]
	}
	close(chunks)

	inner := aead.Seal(nil, nonce, nil, ct) // T' = E(J0) ⊕ GHASH(pad(C) ‖ L')
	var hk [16]byte
	block.Encrypt(hk[:], hk[:])
	H := gfElem(hk[:])
	m := uint64((len(ct) + 15) / 16)
	sA := ghashBlocks(H, additionalData)
	var l, l2 [16]byte
	binary.BigEndian.PutUint64(l[:8], uint64(len(additionalData))*8)
	binary.BigEndian.PutUint64(l[8:], uint64(len(ct))*8)
	binary.BigEndian.PutUint64(l2[:8], uint64(len(ct))*8)
	fix := gfMul(sA, gfPow(H, m+1)).xor(gfMul(gfElem(l[:]).xor(gfElem(l2[:])), H))
	tag := gfElem(inner).xor(fix)
	tag.put(out[len(out)-GCMTagSize:])

	wg.Wait()
	h.Write(out[len(out)-GCMTagSize:])
	var sum [SM3Size]byte
	h.Sum(sum[:0])
	return out, sum, nil
}

// gf128 is an element of GCM's GF(2^128) in its bit order: the first bit of
// the block (the high bit of hi) is the coefficient of x^0.
type gf128 struct{ hi, lo uint64 }

func gfElem(b []byte) gf128 {
	return gf128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])}
}

func (a gf128) put(b []byte) {
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:16], a.lo)
}

func (a gf128) xor(b gf128) gf128 { return gf128{a.hi ^ b.hi, a.lo ^ b.lo} }

// gfMul is NIST SP 800-38D's Algorithm 1, bit by bit: slow (128 steps) and
// only used a few dozen times per seal.
func gfMul(x, y gf128) gf128 {
	var z gf128
	v := y
	for i := 0; i < 128; i++ {
		var bit uint64
		if i < 64 {
			bit = x.hi >> (63 - i) & 1
		} else {
			bit = x.lo >> (127 - i) & 1
		}
		// Branch-free: the operands are secret (H derives from the key).
		mask := -bit
		z.hi ^= v.hi & mask
		z.lo ^= v.lo & mask
		carry := -(v.lo & 1)
		v.lo = v.lo>>1 | v.hi<<63
		v.hi = v.hi>>1 ^ 0xe100000000000000&carry
	}
	return z
}

// gfPow returns h^n by square and multiply.
func gfPow(h gf128, n uint64) gf128 {
	r := gf128{hi: 1 << 63} // the unit: x^0
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r = gfMul(r, h)
		}
		h = gfMul(h, h)
	}
	return r
}

// ghashBlocks is GHASH_H over data padded with zeros to whole blocks,
// without a length block.
func ghashBlocks(h gf128, data []byte) gf128 {
	var x gf128
	for off := 0; off < len(data); off += 16 {
		var b [16]byte
		copy(b[:], data[off:])
		x = gfMul(x.xor(gfElem(b[:])), h)
	}
	return x
}
