package msp

import "errors"

// Errors a Verifier reports; callers branch on them with errors.Is.
var (
	// ErrMalformed marks identity bytes that are not a serialized identity with a PEM certificate.
	ErrMalformed = errors.New("malformed identity")
	// ErrUnknownOrg marks an identity whose MSP ID is not one of the known organisations.
	ErrUnknownOrg = errors.New("unknown organisation")
	// ErrInvalidIdentity marks an identity whose certificate does not chain to its
	// organisation's CA, is expired or not yet valid, is a CA, or lacks a NodeOU role.
	ErrInvalidIdentity = errors.New("invalid identity")
	// ErrBadSignature marks a signature that does not verify with the identity's key,
	// or that has a high S.
	ErrBadSignature = errors.New("signature verification failed")
	// ErrPolicy marks endorsements that do not satisfy an endorsement policy.
	ErrPolicy = errors.New("endorsement policy not satisfied")
)
