package msp

import (
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"math/big"
)

type ecdsaSignature struct {
	R, S *big.Int
}

func unmarshalSignature(sig []byte) (*big.Int, *big.Int, error) {
	var s ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &s)
	if err != nil {
		return nil, nil, errors.New("signature is not ASN.1 DER")
	}
	if len(rest) != 0 {
		return nil, nil, errors.New("trailing bytes after signature")
	}
	if s.R == nil || s.S == nil || s.R.Sign() <= 0 || s.S.Sign() <= 0 {
		return nil, nil, errors.New("signature has a non-positive component")
	}
	return s.R, s.S, nil
}

// marshalSignature encodes a signature as the DER SEQUENCE of two INTEGERs that
// asn1.Marshal makes of ecdsaSignature, without its reflection (a P-256
// signature is at most 72 bytes, so every length fits in one byte).
func marshalSignature(r, s *big.Int) ([]byte, error) {
	if r.Sign() < 0 || s.Sign() < 0 || r.BitLen() > 512 || s.BitLen() > 512 {
		return asn1.Marshal(ecdsaSignature{r, s})
	}
	ri, si := derInteger(r), derInteger(s)
	out := make([]byte, 0, 2+len(ri)+len(si))
	out = append(out, 0x30, byte(len(ri)+len(si)))
	return append(append(out, ri...), si...), nil
}

// derInteger is the DER encoding of a non-negative integer of at most 64 bytes.
func derInteger(x *big.Int) []byte {
	b := x.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return append([]byte{0x02, byte(len(b))}, b...)
}

func isLowS(curve elliptic.Curve, s *big.Int) bool {
	half := new(big.Int).Rsh(curve.Params().N, 1)
	return s.Cmp(half) <= 0
}

// toLowS returns s or N-s, whichever is lower, as Fabric's signers do.
func toLowS(curve elliptic.Curve, s *big.Int) *big.Int {
	if isLowS(curve, s) {
		return s
	}
	return new(big.Int).Sub(curve.Params().N, s)
}
