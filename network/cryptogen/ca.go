package cryptogen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// AttrsOID is the certificate extension in which Fabric CA puts attributes and
// from which pkg/cid reads them.
var AttrsOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// Validity is how long generated certificates are valid, as with Fabric's cryptogen.
const Validity = 10 * 365 * 24 * time.Hour

// CA is a certificate authority that issues certificates for one organisation.
type CA struct {
	// Cert is the CA's self-signed certificate.
	Cert *x509.Certificate
	// Key is the CA's private key.
	Key *ecdsa.PrivateKey
}

// Role is the NodeOU role of an identity, written as the OU of its certificate.
type Role string

// The NodeOU roles of Fabric.
const (
	RoleClient  Role = "client"
	RolePeer    Role = "peer"
	RoleAdmin   Role = "admin"
	RoleOrderer Role = "orderer"
)

// IdentityRequest describes a certificate for CA.Issue to sign.
type IdentityRequest struct {
	// CommonName is the certificate's CN.
	CommonName string
	// Role is written as the certificate's OU; empty for TLS certificates.
	Role Role
	// Attrs are Fabric CA style attributes; none when empty.
	Attrs map[string]string
	// Hosts makes a TLS certificate for these DNS names and IP addresses.
	Hosts []string
	// TLS makes a TLS certificate (server and client authentication) instead of a
	// signing certificate.
	TLS bool
	// NotBefore and NotAfter bound the validity; zero values give now-5min and
	// NotBefore+Validity.
	NotBefore, NotAfter time.Time
}

// NewCA creates a self-signed CA for an organisation's domain; name is "ca" or "tlsca".
func NewCA(name, domain string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-5 * time.Minute).UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               subject(domain, name+"."+domain, ""),
		NotBefore:             now,
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// LoadCA reads a CA written by Generate from its folder (ca/ or tlsca/ of an organisation).
func LoadCA(dir string) (*CA, error) {
	key, err := ReadKey(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*-cert.pem"))
	if err != nil || len(matches) != 1 {
		return nil, fmt.Errorf("load CA in %s: want exactly one *-cert.pem", dir)
	}
	cert, err := ReadCert(matches[0])
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue creates a key pair and a certificate for it signed by the CA.
func (ca *CA) Issue(req IdentityRequest) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	notBefore := req.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-5 * time.Minute)
	}
	notAfter := req.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.Add(Validity)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               subject(ca.Cert.Subject.Organization[0], req.CommonName, string(req.Role)),
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	if req.TLS {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames = []string{req.CommonName}
		for _, h := range req.Hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	if len(req.Attrs) > 0 {
		value, err := json.Marshal(struct {
			Attrs map[string]string `json:"attrs"`
		}{req.Attrs})
		if err != nil {
			return nil, nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: AttrsOID, Value: value})
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate %s: %w", req.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func subject(org, cn, ou string) pkix.Name {
	name := pkix.Name{
		Country:      []string{"CN"},
		Province:     []string{"Shandong"},
		Locality:     []string{"Jinan"},
		Organization: []string{org},
		CommonName:   cn,
	}
	if ou != "" {
		name.OrganizationalUnit = []string{ou}
	}
	return name
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// subjectKeyID is SHA-256 of the uncompressed public point, as Fabric's cryptogen computes it.
func subjectKeyID(pub *ecdsa.PublicKey) ([]byte, error) {
	k, err := pub.ECDH()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(k.Bytes())
	return sum[:], nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// KeyPEM encodes a private key as PKCS#8 PEM.
func KeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ReadCert reads a PEM certificate file.
func ReadCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertPEM(data)
}

// ParseCertPEM parses the first certificate of PEM data.
func ParseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate found")
	}
	return x509.ParseCertificate(block.Bytes)
}

// ReadKey reads a PEM ECDSA private key file (PKCS#8 or SEC 1).
func ReadKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// ParseKeyPEM parses a PEM ECDSA private key (PKCS#8 or SEC 1).
func ParseKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM key found")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not ECDSA", k)
		}
		return ec, nil
	}
	return x509.ParseECPrivateKey(block.Bytes)
}
