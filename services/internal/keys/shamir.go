package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// Shamir's secret sharing over GF(2^8) (Shamir, "How to share a secret",
// 1979): each byte of the secret is the constant term of its own random
// polynomial of degree k-1, and share x holds the polynomial values at x.
// Any k shares determine every polynomial; k-1 shares are consistent with
// every possible secret byte, each equally likely.
//
// The field is GF(2)[X]/(X^8+X^4+X^3+X+1), the AES field, so that any
// implementation can check our shares. Multiplication is a fixed eight-step
// shift-and-add with masks instead of log/exp table look-ups: no branch and no
// memory address depends on secret bytes, so neither timing nor the cache
// reveals them.

// MaxShares is the largest number of shares one split can make: share
// indexes are the non-zero field elements.
const MaxShares = 255

// Share is one share of a split secret: the polynomials' values at X.
type Share struct {
	X byte   // index, 1..255; 0 would be the secret itself
	Y []byte // one byte per byte of the secret
}

// Errors of Split and Combine; both also wrap ErrInvalid.
var (
	ErrDuplicateShare = errors.New("two shares have the same index")
	ErrZeroShareIndex = errors.New("share index 0 is the secret itself and is never issued")
)

// Split divides secret into n shares of which any k recover it. It requires
// 2 <= k <= n <= MaxShares; the shares have indexes 1..n and fresh random
// coefficients from crypto/rand, so two splits of the same secret share
// nothing.
func Split(secret []byte, k, n int) ([]Share, error) {
	return split(rand.Reader, secret, k, n)
}

func split(random io.Reader, secret []byte, k, n int) ([]Share, error) {
	switch {
	case len(secret) == 0:
		return nil, fmt.Errorf("%w: nothing to split", ErrInvalid)
	case k < 2:
		return nil, fmt.Errorf("%w: threshold %d: a secret needs at least 2 shares to recover, or one holder has it all", ErrInvalid, k)
	case n < k:
		return nil, fmt.Errorf("%w: %d shares cannot meet a threshold of %d", ErrInvalid, n, k)
	case n > MaxShares:
		return nil, fmt.Errorf("%w: %d shares, at most %d fit GF(256)", ErrInvalid, n, MaxShares)
	}
	// coeffs[j*(k-1)+i] is the coefficient of X^(i+1) for secret byte j.
	coeffs := make([]byte, len(secret)*(k-1))
	defer clear(coeffs)
	if _, err := io.ReadFull(random, coeffs); err != nil {
		return nil, fmt.Errorf("shamir coefficients: %w", err)
	}
	shares := make([]Share, n)
	for s := range shares {
		x := byte(s + 1)
		y := make([]byte, len(secret))
		for j, c0 := range secret {
			cs := coeffs[j*(k-1) : (j+1)*(k-1)]
			// Horner's rule from the highest coefficient down to c0.
			var acc byte
			for i := len(cs) - 1; i >= 0; i-- {
				acc = gfMul(acc, x) ^ cs[i]
			}
			y[j] = gfMul(acc, x) ^ c0
		}
		shares[s] = Share{X: x, Y: y}
	}
	return shares, nil
}

// Combine recovers a secret from shares by Lagrange interpolation at 0. Given
// at least the threshold of shares of one split it returns that split's
// secret; given fewer, or shares of different splits, it returns an
// unrelated value without error — Shamir's scheme cannot tell, which is why
// callers check the result (the service compares recovered keys with their
// public keys). Shares must be non-empty, of equal length, with distinct
// non-zero indexes.
func Combine(shares []Share) ([]byte, error) {
	if len(shares) < 2 {
		return nil, fmt.Errorf("%w: %d shares, at least 2 are needed", ErrInvalid, len(shares))
	}
	size := len(shares[0].Y)
	if size == 0 {
		return nil, fmt.Errorf("%w: empty share", ErrInvalid)
	}
	var seen [256]bool
	for _, s := range shares {
		switch {
		case len(s.Y) != size:
			return nil, fmt.Errorf("%w: shares of %d and %d bytes come from different secrets", ErrInvalid, size, len(s.Y))
		case s.X == 0:
			return nil, fmt.Errorf("%w: %w", ErrInvalid, ErrZeroShareIndex)
		case seen[s.X]:
			return nil, fmt.Errorf("%w: %w: index %d", ErrInvalid, ErrDuplicateShare, s.X)
		}
		seen[s.X] = true
	}
	secret := make([]byte, size)
	for i, si := range shares {
		// l_i(0) = prod_{j != i} x_j / (x_j - x_i); minus is XOR here.
		num, den := byte(1), byte(1)
		for j, sj := range shares {
			if j != i {
				num = gfMul(num, sj.X)
				den = gfMul(den, sj.X^si.X)
			}
		}
		l := gfMul(num, gfInv(den))
		for b := range secret {
			secret[b] ^= gfMul(l, si.Y[b])
		}
	}
	return secret, nil
}

// MarshalBinary encodes the share as its index followed by its value.
func (s Share) MarshalBinary() ([]byte, error) {
	return append([]byte{s.X}, s.Y...), nil
}

// UnmarshalBinary decodes a share encoded by MarshalBinary.
func (s *Share) UnmarshalBinary(data []byte) error {
	if len(data) < 2 {
		return fmt.Errorf("%w: a share is an index and at least one byte", ErrInvalid)
	}
	if data[0] == 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, ErrZeroShareIndex)
	}
	s.X, s.Y = data[0], append([]byte(nil), data[1:]...)
	return nil
}

// gfMul multiplies in GF(2^8) modulo 0x11b in constant time.
func gfMul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)  // add a when b's low bit is set, without a branch
		carry := -(a >> 7) // 0xff when the shift overflows X^7
		a = a<<1 ^ 0x1b&carry
		b >>= 1
	}
	return p
}

// gfInv returns a^-1 as a^254 (a^255 = 1 for a != 0) in constant time; it
// maps 0 to 0, which Combine never asks for since indexes are distinct.
func gfInv(a byte) byte {
	// 254 = 0b11111110: square-and-multiply with a fixed schedule.
	r := a
	for range 6 {
		r = gfMul(gfMul(r, r), a) // r = r^2 * a
	}
	return gfMul(r, r)
}
