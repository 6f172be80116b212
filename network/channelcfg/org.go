package channelcfg

import (
	"fmt"
	"path/filepath"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/membership"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// MSP returns the channel MSP of an organisation, read from its generated msp
// folder: root CA, TLS root CA and NodeOUs that tell clients, peers, admins and
// orderers apart by the OU of their certificates.
func MSP(l consortium.Layout, s *consortium.Spec, o *consortium.Org) (configtx.MSP, error) {
	crypto := l.Crypto()
	corg := consortium.CryptoOrg(s, o)
	mat, err := crypto.Org(corg)
	if err != nil {
		return configtx.MSP{}, err
	}
	if len(mat.CACerts) != 1 {
		return configtx.MSP{}, fmt.Errorf("org %s: want one CA certificate, have %d", o.MSPID, len(mat.CACerts))
	}
	ca := mat.CACerts[0]
	ou := func(role cryptogen.Role) membership.OUIdentifier {
		return membership.OUIdentifier{Certificate: ca, OrganizationalUnitIdentifier: string(role)}
	}
	return configtx.MSP{
		Name:         o.MSPID,
		RootCerts:    mat.CACerts,
		TLSRootCerts: mat.TLSCACerts,
		NodeOUs: membership.NodeOUs{
			Enable:              true,
			ClientOUIdentifier:  ou(cryptogen.RoleClient),
			PeerOUIdentifier:    ou(cryptogen.RolePeer),
			AdminOUIdentifier:   ou(cryptogen.RoleAdmin),
			OrdererOUIdentifier: ou(cryptogen.RoleOrderer),
		},
		CryptoConfig: membership.CryptoConfig{SignatureHashFamily: "SHA2", IdentityIdentifierHashFunction: "SHA256"},
	}, nil
}

func signature(rule string) configtx.Policy {
	return configtx.Policy{Type: configtx.SignaturePolicyType, Rule: rule}
}

func implicit(rule string) configtx.Policy {
	return configtx.Policy{Type: configtx.ImplicitMetaPolicyType, Rule: rule}
}

// orgPolicies are the policies of an application organisation: anyone of it
// reads, admins and clients write, admins administer, peers endorse.
func orgPolicies(mspID string) map[string]configtx.Policy {
	return map[string]configtx.Policy{
		configtx.ReadersPolicyKey:     signature(fmt.Sprintf("OR('%[1]s.admin', '%[1]s.peer', '%[1]s.client')", mspID)),
		configtx.WritersPolicyKey:     signature(fmt.Sprintf("OR('%[1]s.admin', '%[1]s.client')", mspID)),
		configtx.AdminsPolicyKey:      signature(fmt.Sprintf("OR('%s.admin')", mspID)),
		configtx.EndorsementPolicyKey: signature(fmt.Sprintf("OR('%s.peer')", mspID)),
	}
}

func ordererOrgPolicies(mspID string) map[string]configtx.Policy {
	return map[string]configtx.Policy{
		configtx.ReadersPolicyKey: signature(fmt.Sprintf("OR('%s.member')", mspID)),
		configtx.WritersPolicyKey: signature(fmt.Sprintf("OR('%s.member')", mspID)),
		configtx.AdminsPolicyKey:  signature(fmt.Sprintf("OR('%s.admin')", mspID)),
	}
}

// Organization returns an application organisation's channel definition with
// every peer as an anchor peer, so that peers of other organisations find it
// through gossip (the gateway needs that to collect endorsements).
func Organization(l consortium.Layout, s *consortium.Spec, o *consortium.Org) (configtx.Organization, error) {
	msp, err := MSP(l, s, o)
	if err != nil {
		return configtx.Organization{}, err
	}
	return configtx.Organization{
		Name:        o.MSPID,
		MSP:         msp,
		Policies:    orgPolicies(o.MSPID),
		AnchorPeers: AnchorPeers(s, o),
	}, nil
}

// AnchorPeers returns the internal addresses of an organisation's peers.
func AnchorPeers(s *consortium.Spec, o *consortium.Org) []configtx.Address {
	var as []configtx.Address
	for _, n := range o.Nodes {
		host, port := s.Endpoint(consortium.NodeRef{Org: o, Node: n}).InternalHostPort()
		as = append(as, configtx.Address{Host: host, Port: port})
	}
	return as
}

// OrdererOrganization returns the ordering organisation's channel definition
// with the endpoint of every orderer.
func OrdererOrganization(l consortium.Layout, s *consortium.Spec) (configtx.Organization, error) {
	msp, err := MSP(l, s, &s.Orderer)
	if err != nil {
		return configtx.Organization{}, err
	}
	org := configtx.Organization{Name: s.Orderer.MSPID, MSP: msp, Policies: ordererOrgPolicies(s.Orderer.MSPID)}
	for _, r := range s.Orderers() {
		org.OrdererEndpoints = append(org.OrdererEndpoints, s.Endpoint(r).Internal)
	}
	return org, nil
}

// ordererTLSCert reads the TLS server certificate of an orderer, which is
// both its client and server certificate in the consenter set.
func ordererTLSCertPEM(l consortium.Layout, s *consortium.Spec, r consortium.NodeRef) ([]byte, error) {
	tls, err := l.Crypto().NodeTLS(consortium.CryptoOrg(s, r.Org), r.Node.Index)
	if err != nil {
		return nil, fmt.Errorf("orderer %s: %w", r.Name(), err)
	}
	return tls.CertPEM, nil
}

// ordererIdentityPEM reads the signing certificate of an orderer, its identity
// in a BFT consenter mapping.
func ordererIdentityPEM(l consortium.Layout, s *consortium.Spec, r consortium.NodeRef) ([]byte, error) {
	id, err := cryptogen.LoadIdentity(r.Org.MSPID, filepath.Join(l.Crypto().NodeDir(consortium.CryptoOrg(s, r.Org), r.Node.Index), "msp"))
	if err != nil {
		return nil, fmt.Errorf("orderer %s: %w", r.Name(), err)
	}
	return id.CertPEM, nil
}
