package cctest

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
	"fmt"
	"math/big"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Certificates are valid over a fixed, wide window so that any fake clock a test sets
// falls inside it.
var (
	certNotBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Creator is the submitter of a transaction: anything that yields the serialized
// msp.SerializedIdentity that the chaincode reads with GetCreator. *Identity is one;
// RawCreator is another, for tests of malformed or foreign creators.
type Creator interface {
	Creator() []byte
}

// RawCreator is a Creator given as bytes, sent as is and with no proposal signature.
type RawCreator []byte

// Creator returns the bytes themselves.
func (r RawCreator) Creator() []byte { return r }

// Org is a Fabric organization: an MSP ID and an ECDSA P-256 certificate authority
// that issues its identities, as Fabric CA or cryptogen would.
type Org struct {
	MSPID  string
	CACert *x509.Certificate
	CAKey  *ecdsa.PrivateKey
}

// NewOrg creates an organization with a fresh self-signed CA certificate. It panics
// only if the system's random source fails.
func NewOrg(mspID string) *Org {
	key := mustKey()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "ca." + mspID, Organization: []string{mspID}},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("cctest: create CA certificate for %s: %v", mspID, err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("cctest: parse CA certificate for %s: %v", mspID, err))
	}
	return &Org{MSPID: mspID, CACert: cert, CAKey: key}
}

// CACertPEM returns the CA certificate in PEM form, as an MSP's cacerts folder holds it.
func (o *Org) CACertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.CACert.Raw})
}

// IdentityOption shapes the certificate Org.Identity issues.
type IdentityOption func(*identityConfig)

type identityConfig struct {
	role  string
	ous   []string
	attrs map[string]string
}

// Client makes the identity a client (OU=client, hf.Type=client). It is the default.
func Client() IdentityOption { return func(c *identityConfig) { c.role = "client" } }

// Admin makes the identity an admin (OU=admin, hf.Type=admin).
func Admin() IdentityOption { return func(c *identityConfig) { c.role = "admin" } }

// Peer makes the identity a peer (OU=peer, hf.Type=peer).
func Peer() IdentityOption { return func(c *identityConfig) { c.role = "peer" } }

// OU adds an organizational unit after the role, as a Fabric CA affiliation does.
func OU(ou string) IdentityOption { return func(c *identityConfig) { c.ous = append(c.ous, ou) } }

// Attr adds a Fabric CA attribute, which the chaincode reads with cid.GetAttributeValue.
func Attr(name, value string) IdentityOption {
	return func(c *identityConfig) { c.attrs[name] = value }
}

// Identity is an X.509 identity issued by an Org: its certificate, private key and
// the serialized form the chaincode gets as creator.
type Identity struct {
	MSPID   string
	Name    string
	Cert    *x509.Certificate
	CertPEM []byte
	Key     *ecdsa.PrivateKey
}

// Identity issues a certificate for name (its common name) signed by the org's CA,
// with the node OU of its role and Fabric CA-style attributes in extension
// 1.2.3.4.5.6.7.8.1: hf.EnrollmentID, hf.Type and hf.Affiliation as Fabric CA adds by
// default, then those given with Attr. It panics only if the system's random source
// fails.
func (o *Org) Identity(name string, opts ...IdentityOption) *Identity {
	cfg := &identityConfig{role: "client", attrs: map[string]string{}}
	for _, opt := range opts {
		opt(cfg)
	}
	attrs := map[string]string{"hf.EnrollmentID": name, "hf.Type": cfg.role, "hf.Affiliation": ""}
	for k, v := range cfg.attrs {
		attrs[k] = v
	}
	attrJSON, err := json.Marshal(&attrmgr.Attributes{Attrs: attrs})
	if err != nil {
		panic(fmt.Sprintf("cctest: marshal attributes of %s: %v", name, err))
	}
	key := mustKey()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject: pkix.Name{
			CommonName:         name,
			OrganizationalUnit: append([]string{cfg.role}, cfg.ous...),
		},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
		AuthorityKeyId:        o.CACert.SubjectKeyId,
		ExtraExtensions:       []pkix.Extension{{Id: attrmgr.AttrOID, Value: attrJSON}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, o.CACert, &key.PublicKey, o.CAKey)
	if err != nil {
		panic(fmt.Sprintf("cctest: issue certificate for %s: %v", name, err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("cctest: parse certificate of %s: %v", name, err))
	}
	return &Identity{
		MSPID:   o.MSPID,
		Name:    name,
		Cert:    cert,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:     key,
	}
}

// Creator returns the serialized msp.SerializedIdentity (MSP ID and PEM certificate)
// that Fabric puts in the proposal and the chaincode gets from GetCreator.
func (id *Identity) Creator() []byte {
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: id.CertPEM})
	if err != nil {
		panic(fmt.Sprintf("cctest: marshal identity %s: %v", id.Name, err))
	}
	return b
}

// ID returns the identity's ID as a chaincode sees it through cid.GetID.
func (id *Identity) ID() string {
	c, err := cid.New(creatorStub(id.Creator()))
	if err != nil {
		panic(fmt.Sprintf("cctest: read identity %s: %v", id.Name, err))
	}
	s, err := c.GetID()
	if err != nil {
		panic(fmt.Sprintf("cctest: identity %s has no ID: %v", id.Name, err))
	}
	return s
}

// Sign signs msg as a Fabric client signs a proposal: ECDSA over SHA-256 with a low S
// value, ASN.1 encoded.
func (id *Identity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, id.Key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign as %s: %w", id.Name, err)
	}
	// Fabric's MSP rejects high-S signatures, which are malleable.
	halfOrder := new(big.Int).Rsh(id.Key.Curve.Params().N, 1)
	if s.Cmp(halfOrder) > 0 {
		s.Sub(id.Key.Curve.Params().N, s)
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

type creatorStub []byte

func (c creatorStub) GetCreator() ([]byte, error) { return c, nil }

func mustKey() *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("cctest: generate key: %v", err))
	}
	return key
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("cctest: serial number: %v", err))
	}
	return n
}

// subjectKeyID is the SHA-256 of the uncompressed public point, as Fabric's BCCSP
// computes a key's SKI.
func subjectKeyID(pub *ecdsa.PublicKey) []byte {
	raw, err := pub.Bytes()
	if err != nil {
		panic(fmt.Sprintf("cctest: encode public key: %v", err))
	}
	sum := sha256.Sum256(raw)
	return sum[:]
}
