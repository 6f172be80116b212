package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// DefaultUserID is the signer identity (ID_A) hashed into Z_A for every SM2
// signature made or checked by this package. It is the default of GM/T 0009;
// using it everywhere lets chaincode, services and third-party 国密 tools
// verify each other's signatures without agreeing on IDs.
const DefaultUserID = "1234567812345678"

// Sign signs msg with priv as GB/T 32918.2 specifies: e = SM3(Z_A‖msg) with
// Z_A from DefaultUserID, then an SM2 signature of e, returned as the
// DER SEQUENCE{r, s} of GM/T 0009. msg may be empty.
func Sign(priv *sm2.PrivateKey, msg []byte) ([]byte, error) {
	return signWithUserID(priv, []byte(DefaultUserID), msg)
}

// Verify reports whether sig is a valid DER SM2 signature of msg by pub under
// DefaultUserID.
func Verify(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	return VerifySignature(pub, msg, sig) == nil
}

// VerifySignature checks sig like Verify but says why it fails: the error
// wraps ErrInvalidKey for an unusable key and ErrBadSignature for a signature
// that does not verify.
func VerifySignature(pub *ecdsa.PublicKey, msg, sig []byte) error {
	return verifyWithUserID(pub, []byte(DefaultUserID), msg, sig)
}

// signWithUserID hashes Z_A‖msg itself instead of passing sm2.DefaultSM2SignerOpts
// to gmsm, because gmsm then refuses an empty message ("hash cannot be
// empty"), which GB/T 32918.2 allows. The nonce is hedged: gmsm derives it
// from the key, the digest and fresh randomness.
func signWithUserID(priv *sm2.PrivateKey, uid, msg []byte) ([]byte, error) {
	if err := checkPrivateKey(priv); err != nil {
		return nil, fmt.Errorf("gm: SM2 sign: %w", err)
	}
	e, err := sm2.CalculateSM2Hash(&priv.PublicKey, msg, uid)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 sign: %w: %w", ErrInvalidKey, err)
	}
	sig, err := sm2.SignASN1(rand.Reader, priv, e, nil)
	if err != nil {
		return nil, fmt.Errorf("gm: SM2 sign: %w", err)
	}
	return sig, nil
}

func verifyWithUserID(pub *ecdsa.PublicKey, uid, msg, sig []byte) error {
	if err := checkPublicKey(pub); err != nil {
		return fmt.Errorf("gm: SM2 verify: %w", err)
	}
	if !sm2.VerifyASN1WithSM2(pub, uid, msg, sig) {
		return fmt.Errorf("gm: SM2 verify: %w", ErrBadSignature)
	}
	return nil
}
