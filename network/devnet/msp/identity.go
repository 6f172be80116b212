package msp

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Role is the NodeOU role of an identity.
type Role = cryptogen.Role

// Identity is a verified identity: its organisation, certificate and role.
type Identity struct {
	// MSPID is the identity's organisation.
	MSPID string
	// Cert is the identity's certificate.
	Cert *x509.Certificate
	// Role is the NodeOU role found in the certificate's OU.
	Role Role
	// Serialized is the identity as it travels in headers: a marshalled msp.SerializedIdentity.
	Serialized []byte

	// hot speeds up the verifications of an identity a Verifier sees often.
	hot *hotKey
}

// Verify checks that sig is the identity's signature over msg: ECDSA over
// SHA-256(msg) with a low S.
func (id *Identity) Verify(msg, sig []byte) error {
	digest := sha256.Sum256(msg)
	return id.verifyDigest(&digest, sig)
}

// verifyDigest checks that sig is the identity's signature over a message
// whose SHA-256 digest is given.
func (id *Identity) verifyDigest(digest *[32]byte, sig []byte) error {
	pub, ok := id.Cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: %s key is %T, not ECDSA", ErrBadSignature, id.MSPID, id.Cert.PublicKey)
	}
	r, s, err := unmarshalSignature(sig)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !isLowS(pub.Curve, s) {
		return fmt.Errorf("%w: invalid S, must be smaller than half the order", ErrBadSignature)
	}
	if t := id.hot.tableFor(pub); t != nil {
		if !t.verify(digest, r, s) {
			return ErrBadSignature
		}
		return nil
	}
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return ErrBadSignature
	}
	return nil
}
