package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"math/big"
	"sync/atomic"

	"filippo.io/nistec"
)

// ECDSA verification computes u1·G + u2·Q. The standard library has a
// precomputed table for the generator G but must compute u2·Q from scratch
// (about 255 point doublings), which is two thirds of a verification. devnet
// checks the signatures of the same few client keys thousands of times a
// second, so for a key used often it precomputes the multiples of Q once: then
// u2·Q is one point addition per byte of u2 and a verification costs about
// half as much. The result is the same equation checked with the same
// group arithmetic (filippo.io/nistec is the standard library's P-256 code,
// exported); TestP256Table checks it against crypto/ecdsa.

// Window width and count of the precomputed table: 32 windows of 8 bits cover
// a 256-bit scalar.
const (
	p256Windows = 32
	p256Digits  = 255
)

// p256Table holds j·2^(8i)·Q for every window i and digit j of 1..255.
type p256Table [p256Windows][p256Digits]nistec.P256Point

var p256N = elliptic.P256().Params().N

// newP256Table precomputes the table of a P-256 public key; it returns nil for
// a key of another curve or one that is not a valid point.
func newP256Table(pub *ecdsa.PublicKey) *p256Table {
	if pub.Curve != elliptic.P256() {
		return nil
	}
	var enc [65]byte
	enc[0] = 4
	if pub.X.Sign() < 0 || pub.Y.Sign() < 0 || pub.X.BitLen() > 256 || pub.Y.BitLen() > 256 {
		return nil
	}
	pub.X.FillBytes(enc[1:33])
	pub.Y.FillBytes(enc[33:])
	base, err := nistec.NewP256Point().SetBytes(enc[:])
	if err != nil || base.IsInfinity() == 1 {
		return nil
	}
	t := new(p256Table)
	for i := range p256Windows {
		t[i][0].Set(base)
		for j := 1; j < p256Digits; j++ {
			t[i][j].Add(&t[i][j-1], base)
		}
		// 255·B + B = 256·B = 2^8·B, the base of the next window.
		base = nistec.NewP256Point().Add(&t[i][p256Digits-1], base)
	}
	return t
}

// mul returns scalar·Q for a 32-byte big-endian scalar. It is not constant
// time, which a verification of public data does not need.
func (t *p256Table) mul(scalar *[32]byte) *nistec.P256Point {
	acc := nistec.NewP256Point()
	for i := range p256Windows {
		// Byte i of the scalar, counted from the least significant.
		if d := scalar[31-i]; d != 0 {
			acc.Add(acc, &t[i][d-1])
		}
	}
	return acc
}

// verify reports whether (r, s) is a valid ECDSA signature over a SHA-256
// digest for the table's key, as ecdsa.Verify does: r and s in [1, n-1] and the
// x coordinate of u1·G + u2·Q, reduced mod n, equal to r.
func (t *p256Table) verify(digest *[32]byte, r, s *big.Int) bool {
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(p256N) >= 0 || s.Cmp(p256N) >= 0 {
		return false
	}
	w := new(big.Int).ModInverse(s, p256N)
	if w == nil {
		return false
	}
	u1 := new(big.Int).SetBytes(digest[:])
	u1.Mul(u1, w).Mod(u1, p256N)
	u2 := w.Mul(r, w).Mod(w, p256N)
	var b1, b2 [32]byte
	u1.FillBytes(b1[:])
	u2.FillBytes(b2[:])
	p, err := nistec.NewP256Point().ScalarBaseMult(b1[:])
	if err != nil {
		return false
	}
	x, err := p.Add(p, t.mul(&b2)).BytesX()
	if err != nil {
		// The point at infinity.
		return false
	}
	v := new(big.Int).SetBytes(x)
	if v.Cmp(p256N) >= 0 {
		v.Sub(v, p256N)
	}
	return v.Cmp(r) == 0
}

// Limits of the precomputation: a key gets its table once it has verified
// p256HotAfter signatures, and a Verifier builds at most p256MaxTables tables
// (each about 780 KB and 3 ms of CPU time).
const (
	p256HotAfter  = 64
	p256MaxTables = 16
)

// hotKey counts the verifications of an identity's key and holds its table
// once the key has proved to be used often.
type hotKey struct {
	uses   atomic.Int64
	table  atomic.Pointer[p256Table]
	budget *atomic.Int32 // tables the Verifier may still build
}

// tableFor returns the key's table, or nil while it has none; the call that
// makes the key hot builds the table in the background.
func (h *hotKey) tableFor(pub *ecdsa.PublicKey) *p256Table {
	if h == nil {
		return nil
	}
	if t := h.table.Load(); t != nil {
		return t
	}
	if h.uses.Add(1) == p256HotAfter && h.budget.Add(-1) >= 0 {
		go func() { h.table.Store(newP256Table(pub)) }()
	}
	return nil
}
