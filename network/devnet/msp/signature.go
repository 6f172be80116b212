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

func marshalSignature(r, s *big.Int) ([]byte, error) {
	return asn1.Marshal(ecdsaSignature{r, s})
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
