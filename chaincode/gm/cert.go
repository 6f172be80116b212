package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

const pemCertificate = "CERTIFICATE"

// NewCA creates a fresh SM2 key and a self-signed SM2-with-SM3 CA certificate
// for it, valid from notBefore to notAfter.
func NewCA(subject pkix.Name, notBefore, notAfter time.Time) (*smx509.Certificate, *sm2.PrivateKey, error) {
	key, err := GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("gm: new CA %q: %w", subject.CommonName, err)
	}
	template := &smx509.Certificate{
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign | smx509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	cert, err := createCertificate(template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("gm: new CA %q: %w", subject.CommonName, err)
	}
	return cert, key, nil
}

// IssueCertificate issues a certificate for pub, signed SM2-with-SM3 by
// issuer's key issuerKey. The template supplies subject, validity, key usages
// and extensions as for smx509.CreateCertificate; it is not modified. A nil
// SerialNumber gets a random one, and the signature algorithm is always
// SM2-with-SM3.
func IssueCertificate(template *smx509.Certificate, pub *ecdsa.PublicKey, issuer *smx509.Certificate, issuerKey *sm2.PrivateKey) (*smx509.Certificate, error) {
	if template == nil || issuer == nil {
		return nil, fmt.Errorf("gm: issue certificate: %w: missing template or issuer", ErrInvalidCertificate)
	}
	leaf := *template
	cert, err := createCertificate(&leaf, issuer, pub, issuerKey)
	if err != nil {
		return nil, fmt.Errorf("gm: issue certificate %q: %w", template.Subject.CommonName, err)
	}
	return cert, nil
}

func createCertificate(template, parent *smx509.Certificate, pub *ecdsa.PublicKey, signer *sm2.PrivateKey) (*smx509.Certificate, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	if err := checkPrivateKey(signer); err != nil {
		return nil, err
	}
	template.SignatureAlgorithm = smx509.SM2WithSM3
	der, err := smx509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return smx509.ParseCertificate(der)
}

// MarshalCertificatePEM encodes cert as a "CERTIFICATE" PEM block.
func MarshalCertificatePEM(cert *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: cert.Raw})
}

// ParseCertificatePEM decodes the first PEM block of data as an X.509
// certificate. Any algorithm smx509 knows is accepted here; VerifyCertificate
// and CertificatePublicKey are where SM2 is required.
func ParseCertificatePEM(data []byte) (*smx509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("gm: parse certificate: %w: no PEM block", ErrInvalidCertificate)
	}
	if block.Type != pemCertificate {
		return nil, fmt.Errorf("gm: parse certificate: %w: PEM block type %q, want %q",
			ErrInvalidCertificate, block.Type, pemCertificate)
	}
	cert, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gm: parse certificate: %w: %w", ErrInvalidCertificate, err)
	}
	return cert, nil
}

// CertificatePublicKey returns the SM2 public key cert certifies.
func CertificatePublicKey(cert *smx509.Certificate) (*ecdsa.PublicKey, error) {
	if cert == nil {
		return nil, fmt.Errorf("gm: certificate public key: %w: missing certificate", ErrInvalidCertificate)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != sm2.P256() {
		return nil, fmt.Errorf("gm: certificate public key of %q: %w: %T is not an SM2 key",
			cert.Subject.CommonName, ErrInvalidKey, cert.PublicKey)
	}
	return pub, nil
}

// VerifyOption adjusts how VerifyCertificate builds and checks a chain.
type VerifyOption func(*smx509.VerifyOptions)

// WithIntermediates offers certs as intermediate CAs when building the chain.
func WithIntermediates(certs ...*smx509.Certificate) VerifyOption {
	return func(o *smx509.VerifyOptions) {
		for _, c := range certs {
			o.Intermediates.AddCert(c)
		}
	}
}

// WithTime checks validity periods at t instead of now. Chaincode must pass
// the transaction timestamp: every endorsing peer then reaches the same
// verdict, where each peer's own clock could disagree near an expiry.
func WithTime(t time.Time) VerifyOption {
	return func(o *smx509.VerifyOptions) {
		o.CurrentTime = t
	}
}

// VerifyCertificate checks that cert chains to one of roots, that every
// certificate on the chain is valid at the verification time, and that the
// chain is SM2 throughout: SM2 keys and SM2-with-SM3 signatures. Extended key
// usages are not restricted, since these certificates identify enterprises and
// signers rather than TLS servers. A failure wraps ErrUntrustedCertificate.
func VerifyCertificate(cert *smx509.Certificate, roots []*smx509.Certificate, opts ...VerifyOption) error {
	if cert == nil {
		return fmt.Errorf("gm: verify certificate: %w: missing certificate", ErrInvalidCertificate)
	}
	vo := smx509.VerifyOptions{
		Roots:         smx509.NewCertPool(),
		Intermediates: smx509.NewCertPool(),
		KeyUsages:     []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	}
	for _, r := range roots {
		vo.Roots.AddCert(r)
	}
	for _, opt := range opts {
		opt(&vo)
	}
	chains, err := cert.Verify(vo)
	if err != nil {
		return fmt.Errorf("gm: verify certificate %q: %w: %w", cert.Subject.CommonName, ErrUntrustedCertificate, err)
	}
	for _, chain := range chains {
		if isSM2Chain(chain) {
			return nil
		}
	}
	return fmt.Errorf("gm: verify certificate %q: %w: chain is not SM2-with-SM3 throughout",
		cert.Subject.CommonName, ErrUntrustedCertificate)
}

func isSM2Chain(chain []*smx509.Certificate) bool {
	for _, c := range chain {
		if c.SignatureAlgorithm != smx509.SM2WithSM3 || !sm2.IsSM2PublicKey(c.PublicKey) {
			return false
		}
	}
	return true
}
