package msp

import (
	"crypto/sha256"
	"sync"
)

// sigCacheSize bounds each generation of a SignatureCache.
const sigCacheSize = 1 << 16

// SignatureCache remembers signatures known to be valid: those a Verifier has
// verified and those devnet's own signing identities have made. A transaction
// has its creator's signature checked when it is submitted and again when its
// block is validated, and its endorsements are made by devnet's peers moments
// before they are validated; the cache spares the repeated ECDSA work. A hit
// requires the same identity, message and signature bytes, so it accepts
// exactly what a full verification accepts; the identity itself (chain,
// validity period, role) is still checked at every call.
type SignatureCache struct {
	mu       sync.Mutex
	cur, old map[[32]byte]struct{}
}

// NewSignatureCache returns an empty cache.
func NewSignatureCache() *SignatureCache {
	return &SignatureCache{cur: map[[32]byte]struct{}{}, old: map[[32]byte]struct{}{}}
}

// cacheKey identifies a signature by the SHA-256 digest of its message, the
// signature and the identity; the digest is the one the signature is over, so
// that it is computed once for the cache and the ECDSA check.
func cacheKey(identity []byte, digest *[32]byte, sig []byte) [32]byte {
	h := sha256.New()
	h.Write(digest[:])
	h.Write(sig)
	h.Write(identity)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *SignatureCache) add(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= sigCacheSize {
		c.old, c.cur = c.cur, make(map[[32]byte]struct{}, sigCacheSize)
	}
	c.cur[k] = struct{}{}
}

func (c *SignatureCache) has(k [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; ok {
		return true
	}
	_, ok := c.old[k]
	return ok
}
