package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// SignatureCache remembers signatures that are known to be valid, so that the
// committer does not verify again what devnet itself signed or already verified: the
// gateway verifies a transaction's creator signature when it is submitted, and the
// endorsing peers, being in process, know their endorsements are good. ECDSA
// verification is most of the committer's work, so this roughly halves it.
//
// Skipping the check is as strict as Fabric's committer: the identities were checked
// by the same IdentityVerifier moments before, and an MSP does not check a
// certificate's expiry at commit time either. Entries are forgotten first in, first
// out. A SignatureCache is safe for concurrent use.
type SignatureCache struct {
	mu   sync.Mutex
	m    map[[32]byte]struct{}
	ring [][32]byte
	next int
}

// NewSignatureCache returns a cache of at most size signatures.
func NewSignatureCache(size int) *SignatureCache {
	if size < 1 {
		size = 1
	}
	return &SignatureCache{m: make(map[[32]byte]struct{}, size), ring: make([][32]byte, size)}
}

// Add records that sig is identity's valid signature over msg.
func (c *SignatureCache) Add(identity, msg, sig []byte) {
	k := cacheKey(identity, msg, sig)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	delete(c.m, c.ring[c.next])
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.m[k] = struct{}{}
}

// Contains reports whether sig was recorded as identity's valid signature over msg.
func (c *SignatureCache) Contains(identity, msg, sig []byte) bool {
	if c == nil {
		return false
	}
	k := cacheKey(identity, msg, sig)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	return ok
}

// cacheKey hashes the three parts with their lengths, so that no two different
// triples share a key.
func cacheKey(identity, msg, sig []byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{identity, msg, sig} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
