package msp

import (
	"crypto/ecdsa"
	"crypto/rand"
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

// SignDigest is Sign for a message whose SHA-256 digest is given.
func (s *SigningIdentity) SignDigest(digest *[32]byte) ([]byte, error) {
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign as %s: %w", s.MSPID, err)
	}
	sig, err := marshalSignature(r, toLowS(s.key.Curve, sv))
	if err == nil && s.sigs != nil {
		s.sigs.add(cacheKey(s.Serialized, digest, sig))
	}
	return sig, err
}

// Serialize returns the serialized identity that goes into headers and endorsements.
func (s *SigningIdentity) Serialize() []byte {
	return s.Serialized
}
