package msp

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Org is an organisation as a channel knows it: its MSP ID and CA certificates.
type Org struct {
	MSPID string
	// RootCerts are the organisation's root CA certificates.
	RootCerts []*x509.Certificate
	// IntermediateCerts are optional intermediate CA certificates.
	IntermediateCerts []*x509.Certificate
}

// OrgFromCryptogen makes an Org from material loaded by package cryptogen.
func OrgFromCryptogen(m *cryptogen.OrgMaterial) Org {
	return Org{MSPID: m.MSPID, RootCerts: m.CACerts}
}

// maxCached bounds the cache of verified identities; past it the cache starts over.
const maxCached = 4096

// Verifier deserializes and validates identities of a set of organisations and
// verifies their signatures. It is safe for concurrent use.
type Verifier struct {
	orgs map[string]*orgPool
	now  func() time.Time

	mu    sync.RWMutex
	cache map[string]*Identity
	sigs  *SignatureCache
	// tables is how many more keys may get a precomputed table (see hotKey).
	tables atomic.Int32
}

type orgPool struct {
	roots, intermediates *x509.CertPool
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock makes the Verifier judge certificate validity at the times clock gives.
func WithClock(clock func() time.Time) Option {
	return func(v *Verifier) { v.now = clock }
}

// WithSignatureCache makes the Verifier remember the signatures it verified in
// cache and accept those already in it without repeating the ECDSA work.
func WithSignatureCache(cache *SignatureCache) Option {
	return func(v *Verifier) { v.sigs = cache }
}

// NewVerifier returns a Verifier for orgs.
func NewVerifier(orgs []Org, opts ...Option) (*Verifier, error) {
	v := &Verifier{orgs: map[string]*orgPool{}, now: time.Now, cache: map[string]*Identity{}}
	v.tables.Store(p256MaxTables)
	for _, o := range orgs {
		if o.MSPID == "" || len(o.RootCerts) == 0 {
			return nil, fmt.Errorf("org %q: MSP ID and at least one root certificate are required", o.MSPID)
		}
		if _, dup := v.orgs[o.MSPID]; dup {
			return nil, fmt.Errorf("duplicate org %s", o.MSPID)
		}
		p := &orgPool{roots: x509.NewCertPool(), intermediates: x509.NewCertPool()}
		for _, c := range o.RootCerts {
			p.roots.AddCert(c)
		}
		for _, c := range o.IntermediateCerts {
			p.intermediates.AddCert(c)
		}
		v.orgs[o.MSPID] = p
	}
	for _, opt := range opts {
		opt(v)
	}
	return v, nil
}

// Deserialize parses a serialized identity and validates it now. Errors wrap
// ErrMalformed, ErrUnknownOrg or ErrInvalidIdentity.
func (v *Verifier) Deserialize(serialized []byte) (*Identity, error) {
	now := v.now()
	v.mu.RLock()
	id, ok := v.cache[string(serialized)]
	v.mu.RUnlock()
	if ok {
		if now.Before(id.Cert.NotBefore) || now.After(id.Cert.NotAfter) {
			return nil, fmt.Errorf("%w: %s certificate %q is not valid at %s", ErrInvalidIdentity, id.MSPID, id.Cert.Subject.CommonName, now.UTC().Format(time.RFC3339))
		}
		return id, nil
	}
	id, err := v.validate(serialized, now)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.cache) >= maxCached {
		v.cache = map[string]*Identity{}
		// The tables of the identities forgotten go with them.
		v.tables.Store(p256MaxTables)
	}
	v.cache[string(serialized)] = id
	v.mu.Unlock()
	return id, nil
}

func (v *Verifier) validate(serialized []byte, now time.Time) (*Identity, error) {
	var sid mspproto.SerializedIdentity
	if err := proto.Unmarshal(serialized, &sid); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	pool, ok := v.orgs[sid.GetMspid()]
	if !ok {
		return nil, fmt.Errorf("%w: MSP %q", ErrUnknownOrg, sid.GetMspid())
	}
	cert, err := cryptogen.ParseCertPEM(sid.GetIdBytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, sid.GetMspid(), err)
	}
	if cert.IsCA {
		return nil, fmt.Errorf("%w: %s: a CA certificate cannot be an identity", ErrInvalidIdentity, sid.GetMspid())
	}
	_, err = cert.Verify(x509.VerifyOptions{
		Roots:         pool.roots,
		Intermediates: pool.intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s certificate %q: %v", ErrInvalidIdentity, sid.GetMspid(), cert.Subject.CommonName, err)
	}
	role, err := roleOf(cert)
	if err != nil {
		return nil, fmt.Errorf("%w: %s certificate %q: %v", ErrInvalidIdentity, sid.GetMspid(), cert.Subject.CommonName, err)
	}
	return &Identity{MSPID: sid.GetMspid(), Cert: cert, Role: role, Serialized: append([]byte(nil), serialized...), hot: &hotKey{budget: &v.tables}}, nil
}

// Verify checks that creator is a valid identity and sig its signature over msg.
// It is the identity check of every proposal, transaction and signed request.
func (v *Verifier) Verify(creator, msg, sig []byte) error {
	id, err := v.Deserialize(creator)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(msg)
	return v.verifyDigest(id, creator, &digest, sig)
}

// VerifyDigest is Verify for a message whose SHA-256 digest is given.
func (v *Verifier) VerifyDigest(creator []byte, digest *[32]byte, sig []byte) error {
	id, err := v.Deserialize(creator)
	if err != nil {
		return err
	}
	return v.verifyDigest(id, creator, digest, sig)
}

func (v *Verifier) verifyDigest(id *Identity, creator []byte, digest *[32]byte, sig []byte) error {
	if v.sigs == nil {
		return id.verifyDigest(digest, sig)
	}
	k := cacheKey(creator, digest, sig)
	if v.sigs.has(k) {
		return nil
	}
	if err := id.verifyDigest(digest, sig); err != nil {
		return err
	}
	v.sigs.add(k)
	return nil
}

// VerifyOnce is Verify for a signature that will not be presented again (a
// proposal, a commit status or deliver request): it neither consults nor
// fills the signature cache, which keeps room for the signatures that are
// checked twice.
func (v *Verifier) VerifyOnce(creator, msg, sig []byte) error {
	id, err := v.Deserialize(creator)
	if err != nil {
		return err
	}
	return id.Verify(msg, sig)
}

// roleOf finds the one NodeOU role among the OUs of a certificate's subject.
func roleOf(cert *x509.Certificate) (Role, error) {
	var found []Role
	for _, ou := range cert.Subject.OrganizationalUnit {
		switch r := Role(ou); r {
		case cryptogen.RoleClient, cryptogen.RolePeer, cryptogen.RoleAdmin, cryptogen.RoleOrderer:
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("want exactly one NodeOU role (client, peer, admin, orderer), found %d", len(found))
	}
	return found[0], nil
}
