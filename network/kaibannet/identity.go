package kaibannet

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	adminid "github.com/hyperledger/fabric-admin-sdk/pkg/identity"
	"github.com/hyperledger/fabric-config/configtx"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// user loads a user identity of an organisation (consortium.AdminUser, ClientUser, ...).
func (n *Network) user(o *consortium.Org, name string) (*cryptogen.Identity, error) {
	return n.Layout.Crypto().User(consortium.CryptoOrg(n.Spec, o), name)
}

// adminSDK returns an organisation's admin as a fabric-admin-sdk signing identity.
func (n *Network) adminSDK(o *consortium.Org) (adminid.SigningIdentity, error) {
	id, err := n.user(o, consortium.AdminUser)
	if err != nil {
		return nil, fmt.Errorf("admin of %s: %w", o.MSPID, err)
	}
	return adminid.NewPrivateKeySigningIdentity(o.MSPID, id.Cert, id.Key)
}

// configSigners returns the admins of every organisation whose admin key is in
// the directory, as config update signers.
func (n *Network) configSigners() map[string]*configtx.SigningIdentity {
	out := map[string]*configtx.SigningIdentity{}
	orgs := append([]*consortium.Org{&n.Spec.Orderer}, orgRefs(n.Spec)...)
	for _, o := range orgs {
		id, err := n.user(o, consortium.AdminUser)
		if err != nil {
			continue
		}
		out[o.MSPID] = &configtx.SigningIdentity{Certificate: id.Cert, PrivateKey: id.Key, MSPID: o.MSPID}
	}
	return out
}

func orgRefs(s *consortium.Spec) []*consortium.Org {
	var out []*consortium.Org
	for i := range s.Orgs {
		out = append(out, &s.Orgs[i])
	}
	return out
}

// tlsRoots returns the TLS CA of an organisation as a pool.
func (n *Network) tlsRoots(o *consortium.Org) (*x509.CertPool, error) {
	mat, err := n.Layout.Crypto().Org(consortium.CryptoOrg(n.Spec, o))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range mat.TLSCACerts {
		pool.AddCert(c)
	}
	return pool, nil
}

// adminTLS returns the TLS client certificate of an organisation's admin.
func (n *Network) adminTLS(o *consortium.Org) (tls.Certificate, error) {
	t, err := n.Layout.Crypto().UserTLS(consortium.CryptoOrg(n.Spec, o), consortium.AdminUser)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TLS client certificate of the admin of %s: %w", o.MSPID, err)
	}
	return tls.X509KeyPair(t.CertPEM, t.KeyPEM)
}
