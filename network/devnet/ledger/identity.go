package ledger

import "errors"

// Signer is the ordering service's signing identity.
type Signer interface {
	// Serialize returns the identity as a marshalled msp.SerializedIdentity.
	Serialize() ([]byte, error)
	// Sign signs msg as a Fabric signing identity does: SHA-256 of msg, ECDSA with a
	// low S, ASN.1 DER encoded.
	Sign(msg []byte) ([]byte, error)
}

// IdentityVerifier checks identities of the channel's organisations.
type IdentityVerifier interface {
	// Verify returns nil when creator, a marshalled msp.SerializedIdentity, is a valid
	// identity of one of the channel's organisations and sig is its signature over
	// msg. It is called concurrently, and is most of the committer's work: an
	// implementation may skip signatures it knows to be valid (made or verified
	// moments before by devnet itself).
	Verify(creator, msg, sig []byte) error
}

// DigestVerifier is an IdentityVerifier that also takes the SHA-256 digest of the
// message instead of the message; the committer uses it, when the verifier has it,
// to hash the proposal response payload of a transaction once for all its
// endorsements.
type DigestVerifier interface {
	IdentityVerifier
	VerifyDigest(creator []byte, digest *[32]byte, sig []byte) error
}

// EndorsementPolicy evaluates the endorsement policy of a chaincode namespace.
type EndorsementPolicy interface {
	// Evaluate returns nil when endorsers, the distinct marshalled
	// msp.SerializedIdentity values whose endorsement signatures verified, satisfy
	// the endorsement policy of namespace ns. It returns an error wrapping
	// ErrUnknownNamespace when no chaincode ns is defined on the channel (the
	// transaction is then INVALID_CHAINCODE), and any other error when the policy is
	// not satisfied (ENDORSEMENT_POLICY_FAILURE). It is called concurrently.
	Evaluate(ns string, endorsers [][]byte) error
}

// ErrUnknownNamespace is wrapped by EndorsementPolicy.Evaluate for a namespace that is
// not a chaincode defined on the channel.
var ErrUnknownNamespace = errors.New("chaincode definition not found")
