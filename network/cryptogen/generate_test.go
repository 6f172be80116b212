package cryptogen_test

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

func testOrgs() []cryptogen.OrgSpec {
	return []cryptogen.OrgSpec{
		{MSPID: "Org1MSP", Domain: "org1.example.com", Hosts: []string{"localhost", "127.0.0.1"}, Users: []cryptogen.UserSpec{
			{Name: "Admin", Admin: true},
			{Name: "clerk", Attrs: map[string]string{"kaiban.role": "clerk"}},
		}},
		{MSPID: "OrdererMSP", Domain: "example.com", Orderer: true},
	}
}

func TestGenerate_FabricLayout(t *testing.T) {
	dir := t.TempDir()
	if err := cryptogen.Generate(dir, testOrgs()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"organizations/peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/ca/priv_sk",
		"organizations/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/msp/cacerts/ca.org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/msp/tlscacerts/tlsca.org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/msp/config.yaml",
		"organizations/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp/signcerts/peer0.org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp/keystore/priv_sk",
		"organizations/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/server.crt",
		"organizations/peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem",
		"organizations/peerOrganizations/org1.example.com/users/clerk@org1.example.com/tls/client.key",
		"organizations/ordererOrganizations/example.com/orderers/orderer0.example.com/msp/keystore/priv_sk",
	} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "organizations/peerOrganizations/org1.example.com/msp/config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "Enable: true") || !strings.Contains(string(cfg), "OrganizationalUnitIdentifier: peer") {
		t.Errorf("config.yaml = %q, %v", cfg, err)
	}
}

func TestGenerate_IdentitiesChainAndCarryRoles(t *testing.T) {
	dir := t.TempDir()
	orgs := testOrgs()
	if err := cryptogen.Generate(dir, orgs); err != nil {
		t.Fatal(err)
	}
	l := cryptogen.Layout{Dir: dir}
	org, err := l.Org(orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(org.CACerts[0])
	cases := []struct {
		load func() (*cryptogen.Identity, error)
		ou   string
	}{
		{func() (*cryptogen.Identity, error) { return l.Node(orgs[0], 0) }, "peer"},
		{func() (*cryptogen.Identity, error) { return l.User(orgs[0], "Admin") }, "admin"},
		{func() (*cryptogen.Identity, error) { return l.User(orgs[0], "clerk") }, "client"},
	}
	for _, c := range cases {
		id, err := c.load()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := id.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s does not chain: %v", id.Cert.Subject.CommonName, err)
		}
		if got := id.Cert.Subject.OrganizationalUnit; len(got) != 1 || got[0] != c.ou {
			t.Errorf("%s OU = %v, want %s", id.Cert.Subject.CommonName, got, c.ou)
		}
		if !id.Key.PublicKey.Equal(id.Cert.PublicKey) {
			t.Errorf("%s key does not match certificate", id.Cert.Subject.CommonName)
		}
	}
	clerk, _ := l.User(orgs[0], "clerk")
	var attrs struct {
		Attrs map[string]string `json:"attrs"`
	}
	for _, ext := range clerk.Cert.Extensions {
		if ext.Id.Equal(cryptogen.AttrsOID) {
			if err := json.Unmarshal(ext.Value, &attrs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if attrs.Attrs["kaiban.role"] != "clerk" {
		t.Errorf("clerk attrs = %v", attrs.Attrs)
	}
	tlsID, err := l.NodeTLS(orgs[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	tlsCert, _ := cryptogen.ParseCertPEM(tlsID.CertPEM)
	if err := tlsCert.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("TLS cert lacks 127.0.0.1: %v", err)
	}
	if err := tlsCert.VerifyHostname("localhost"); err != nil {
		t.Errorf("TLS cert lacks localhost: %v", err)
	}
}

func TestGenerate_IdempotentAddsMissingUsers(t *testing.T) {
	dir := t.TempDir()
	orgs := testOrgs()
	if err := cryptogen.Generate(dir, orgs); err != nil {
		t.Fatal(err)
	}
	l := cryptogen.Layout{Dir: dir}
	before, _ := l.User(orgs[0], "Admin")
	orgs[0].Users = append(orgs[0].Users, cryptogen.UserSpec{Name: "User9"})
	if err := cryptogen.Generate(dir, orgs); err != nil {
		t.Fatal(err)
	}
	after, _ := l.User(orgs[0], "Admin")
	if !before.Cert.Equal(after.Cert) {
		t.Error("regeneration replaced an existing identity")
	}
	if _, err := l.User(orgs[0], "User9"); err != nil {
		t.Errorf("new user not generated: %v", err)
	}
}

func TestGenerate_RejectsBadSpecs(t *testing.T) {
	for name, orgs := range map[string][]cryptogen.OrgSpec{
		"bad domain":   {{MSPID: "A", Domain: "Bad_Domain"}},
		"empty MSP ID": {{Domain: "a.example.com"}},
		"duplicate":    {{MSPID: "A", Domain: "a.example.com"}, {MSPID: "A", Domain: "b.example.com"}},
		"dup user":     {{MSPID: "A", Domain: "a.example.com", Users: []cryptogen.UserSpec{{Name: "u"}, {Name: "u"}}}},
	} {
		if err := cryptogen.Generate(t.TempDir(), orgs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
