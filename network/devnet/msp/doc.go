// Package msp verifies identities and signatures the way a Fabric peer's MSP does:
// an identity is a serialized msp.SerializedIdentity (MSP ID and PEM
// certificate); it is valid when its MSP ID names a known organisation, its
// certificate chains to one of that organisation's CA certificates, is valid now,
// is not itself a CA, and carries exactly one NodeOU role (client, peer, admin,
// orderer) as the OU of its subject. Signatures are ECDSA over SHA-256 in ASN.1
// DER and must have a low S, as Fabric's BCCSP requires.
//
// The package also signs (SigningIdentity, for devnet's peers and orderer) and
// evaluates endorsement policies (EndorsementPolicy).
package msp
