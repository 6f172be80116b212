package cryptogen

import (
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// Identity is a certificate and its private key, loaded from an MSP folder.
type Identity struct {
	// MSPID is the identity's organisation.
	MSPID string
	// Cert is the signing certificate.
	Cert *x509.Certificate
	// CertPEM is Cert as PEM, the form Fabric serializes into identities.
	CertPEM []byte
	// Key is the private key of Cert.
	Key *ecdsa.PrivateKey
}

// TLSIdentity is a TLS certificate and key with the CA that issued it.
type TLSIdentity struct {
	CertPEM []byte
	KeyPEM  []byte
	CAPEM   []byte
}

// OrgMaterial is what others must know of an organisation: its CA certificates.
type OrgMaterial struct {
	MSPID string
	// CACerts are the roots identities must chain to.
	CACerts []*x509.Certificate
	// TLSCACerts are the roots of the organisation's TLS certificates.
	TLSCACerts []*x509.Certificate
}

// Org loads the public material of a generated organisation from its msp/ folder.
func (l Layout) Org(s OrgSpec) (*OrgMaterial, error) {
	dir := l.MSPDir(s)
	ca, err := readCerts(filepath.Join(dir, "cacerts"))
	if err != nil {
		return nil, fmt.Errorf("org %s: %w", s.MSPID, err)
	}
	tlsca, err := readCerts(filepath.Join(dir, "tlscacerts"))
	if err != nil {
		return nil, fmt.Errorf("org %s: %w", s.MSPID, err)
	}
	return &OrgMaterial{MSPID: s.MSPID, CACerts: ca, TLSCACerts: tlsca}, nil
}

// Node loads the signing identity of the i-th peer (or orderer) of an organisation.
func (l Layout) Node(s OrgSpec, i int) (*Identity, error) {
	return LoadIdentity(s.MSPID, filepath.Join(l.NodeDir(s, i), "msp"))
}

// NodeTLS loads the TLS server certificate of the i-th peer (or orderer).
func (l Layout) NodeTLS(s OrgSpec, i int) (*TLSIdentity, error) {
	return loadTLS(filepath.Join(l.NodeDir(s, i), "tls"), "server")
}

// User loads the signing identity of a user of an organisation.
func (l Layout) User(s OrgSpec, name string) (*Identity, error) {
	return LoadIdentity(s.MSPID, filepath.Join(l.UserDir(s, name), "msp"))
}

// UserTLS loads the TLS client certificate of a user of an organisation.
func (l Layout) UserTLS(s OrgSpec, name string) (*TLSIdentity, error) {
	return loadTLS(filepath.Join(l.UserDir(s, name), "tls"), "client")
}

// LoadIdentity reads signcerts/ and keystore/ of an MSP folder.
func LoadIdentity(mspID, mspDir string) (*Identity, error) {
	certs, err := filepath.Glob(filepath.Join(mspDir, "signcerts", "*.pem"))
	if err != nil || len(certs) != 1 {
		return nil, fmt.Errorf("load identity %s: want exactly one certificate in signcerts", mspDir)
	}
	certPEM, err := os.ReadFile(certs[0])
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certs[0], err)
	}
	key, err := ReadKey(filepath.Join(mspDir, "keystore", keyFile))
	if err != nil {
		return nil, err
	}
	return &Identity{MSPID: mspID, Cert: cert, CertPEM: certPEM, Key: key}, nil
}

func loadTLS(dir, name string) (*TLSIdentity, error) {
	var t TLSIdentity
	for path, dst := range map[string]*[]byte{name + ".crt": &t.CertPEM, name + ".key": &t.KeyPEM, "ca.crt": &t.CAPEM} {
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return nil, err
		}
		*dst = data
	}
	return &t, nil
}

func readCerts(dir string) ([]*x509.Certificate, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no certificates in %s", dir)
	}
	var certs []*x509.Certificate
	for _, f := range files {
		c, err := ReadCert(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}
