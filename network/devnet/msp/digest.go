package msp

import (
	"crypto/sha256"
	"hash"
)

// Prefix computes SHA-256 digests of messages that share a prefix, hashing the
// prefix once. An endorsement signs the proposal response payload followed by
// the endorser's identity: with five endorsing organisations the payload, a few
// kilobytes, would otherwise be hashed five times to sign and five times again
// to check.
type Prefix struct {
	prefix []byte
	state  hash.Cloner
}

// NewPrefix returns a Prefix for messages starting with prefix.
func NewPrefix(prefix []byte) *Prefix {
	p := &Prefix{prefix: prefix}
	h := sha256.New()
	if c, ok := h.(hash.Cloner); ok {
		h.Write(prefix)
		p.state = c
	}
	return p
}

// Digest returns SHA-256(prefix‖suffix).
func (p *Prefix) Digest(suffix []byte) [32]byte {
	var d [32]byte
	if p.state != nil {
		if h, err := p.state.Clone(); err == nil {
			h.Write(suffix)
			h.Sum(d[:0])
			return d
		}
	}
	h := sha256.New()
	h.Write(p.prefix)
	h.Write(suffix)
	h.Sum(d[:0])
	return d
}
