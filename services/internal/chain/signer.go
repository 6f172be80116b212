package chain

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
)

// A SignerFactory makes the signing function of an identity and the hash the
// gateway client applies before calling it. It receives the identity's
// configuration, so a factory may read KeyPath as a key file or as a label in
// an HSM.
//
// The default, ECDSASigner, fits stock Fabric. A GM (国密) build of Fabric
// signs with SM2 over SM3: its factory returns hash.NONE and a function that
// computes SM2-with-SM3 over the whole message, and nothing else changes.
type SignerFactory func(mspID, name string, id IdentityConfig) (identity.Sign, hash.Hash, error)

// ECDSASigner signs with the ECDSA private key in id.KeyPath (PKCS#8 or SEC 1
// PEM, a file or an MSP keystore/ folder) over a SHA-256 digest, as Fabric's
// MSP expects.
func ECDSASigner(mspID, name string, id IdentityConfig) (identity.Sign, hash.Hash, error) {
	keyPEM, err := readPEMPath(id.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("private key of %s: %w", ref(mspID, name), err)
	}
	key, err := parseECDSAKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("private key of %s: %w", ref(mspID, name), err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("private key of %s: %w", ref(mspID, name), err)
	}
	return sign, hash.SHA256, nil
}

func parseECDSAKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T is not an ECDSA key", k)
		}
		return ec, nil
	}
	return x509.ParseECPrivateKey(block.Bytes)
}

// certIdentity is a Fabric identity given by its certificate's PEM bytes,
// which the gateway serializes without parsing, so certificates signed with
// algorithms Go's crypto/x509 does not know (SM2) work as well.
type certIdentity struct {
	mspID string
	cert  []byte
}

func (c *certIdentity) MspID() string       { return c.mspID }
func (c *certIdentity) Credentials() []byte { return c.cert }
