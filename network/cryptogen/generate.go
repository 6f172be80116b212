package cryptogen

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Generate writes the crypto material of orgs under dir. It is idempotent: an
// organisation whose folder exists keeps its CAs and identities, and only the
// nodes and users missing from it are issued. Every identity folder is written
// to a temporary name first and renamed into place, so a killed run leaves no
// half-written identity behind. (Files are not fsynced: material lost to an
// operating-system crash is regenerated on the next start of an empty network.)
func Generate(dir string, orgs []OrgSpec) error {
	seen := map[string]bool{}
	for _, org := range orgs {
		if err := org.Validate(); err != nil {
			return err
		}
		if seen[org.MSPID] {
			return fmt.Errorf("duplicate MSP ID %s", org.MSPID)
		}
		seen[org.MSPID] = true
	}
	l := Layout{Dir: dir}
	for _, org := range orgs {
		if err := l.generateOrg(org); err != nil {
			return fmt.Errorf("generate %s: %w", org.MSPID, err)
		}
	}
	return nil
}

func (l Layout) generateOrg(org OrgSpec) error {
	if _, err := os.Stat(l.MSPDir(org)); errors.Is(err, fs.ErrNotExist) {
		if err := l.generateCAs(org); err != nil {
			return err
		}
	}
	ca, err := LoadCA(l.CADir(org))
	if err != nil {
		return err
	}
	tlsca, err := LoadCA(l.TLSCADir(org))
	if err != nil {
		return err
	}
	role := RolePeer
	if org.Orderer {
		role = RoleOrderer
	}
	for i := range org.nodes() {
		name := org.NodeName(i)
		err := l.writeIdentity(org, ca, tlsca, l.NodeDir(org, i), IdentityRequest{CommonName: name, Role: role}, org.Hosts, "server")
		if err != nil {
			return err
		}
	}
	for _, u := range org.users() {
		role := RoleClient
		if u.Admin {
			role = RoleAdmin
		}
		req := IdentityRequest{CommonName: org.UserName(u.Name), Role: role, Attrs: u.Attrs}
		if err := l.writeIdentity(org, ca, tlsca, l.UserDir(org, u.Name), req, nil, "client"); err != nil {
			return err
		}
	}
	return nil
}

// generateCAs writes ca/, tlsca/ and the organisation's msp/ in one rename.
func (l Layout) generateCAs(org OrgSpec) error {
	orgDir := l.OrgDir(org)
	if err := os.MkdirAll(filepath.Dir(orgDir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(orgDir), ".tmp-"+org.Domain+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ca, err := NewCA("ca", org.Domain)
	if err != nil {
		return err
	}
	tlsca, err := NewCA("tlsca", org.Domain)
	if err != nil {
		return err
	}
	if err := writeCA(filepath.Join(tmp, "ca"), caCertFile(org.Domain), ca); err != nil {
		return err
	}
	if err := writeCA(filepath.Join(tmp, "tlsca"), tlsCACertFile(org.Domain), tlsca); err != nil {
		return err
	}
	if err := writeMSP(filepath.Join(tmp, "msp"), org, ca.Cert, tlsca.Cert, nil, nil); err != nil {
		return err
	}
	// An org folder may exist without msp/ when an earlier run was interrupted
	// after creating users/ of another attempt; it holds nothing usable then.
	if err := os.RemoveAll(orgDir); err != nil {
		return err
	}
	return os.Rename(tmp, orgDir)
}

// writeIdentity issues a signing and a TLS certificate into dir unless dir exists.
func (l Layout) writeIdentity(org OrgSpec, ca, tlsca *CA, dir string, req IdentityRequest, hosts []string, tlsName string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	cert, key, err := ca.Issue(req)
	if err != nil {
		return err
	}
	tlsCert, tlsKey, err := tlsca.Issue(IdentityRequest{CommonName: req.CommonName, Hosts: hosts, TLS: true})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeMSP(filepath.Join(tmp, "msp"), org, ca.Cert, tlsca.Cert, cert, key); err != nil {
		return err
	}
	tlsKeyPEM, err := KeyPEM(tlsKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"tls/ca.crt":              CertPEM(tlsca.Cert),
		"tls/" + tlsName + ".crt": CertPEM(tlsCert),
		"tls/" + tlsName + ".key": tlsKeyPEM,
	}
	if err := writeFiles(tmp, files); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func writeCA(dir, certName string, ca *CA) error {
	keyPEM, err := KeyPEM(ca.Key)
	if err != nil {
		return err
	}
	return writeFiles(dir, map[string][]byte{certName: CertPEM(ca.Cert), keyFile: keyPEM})
}

// writeMSP writes an MSP folder; signCert and key are nil for an organisation's channel MSP.
func writeMSP(dir string, org OrgSpec, caCert, tlsCACert, signCert *x509.Certificate, key *ecdsa.PrivateKey) error {
	files := map[string][]byte{
		"cacerts/" + caCertFile(org.Domain):       CertPEM(caCert),
		"tlscacerts/" + tlsCACertFile(org.Domain): CertPEM(tlsCACert),
		configFile: []byte(nodeOUConfig(caCertFile(org.Domain))),
	}
	if signCert != nil {
		keyPEM, err := KeyPEM(key)
		if err != nil {
			return err
		}
		files["signcerts/"+signCert.Subject.CommonName+"-cert.pem"] = CertPEM(signCert)
		files["keystore/"+keyFile] = keyPEM
	}
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	return os.MkdirAll(filepath.Join(dir, "admincerts"), 0o755)
}

// nodeOUConfig is the config.yaml that enables NodeOUs, as Fabric's cryptogen writes it.
func nodeOUConfig(caFile string) string {
	ou := func(key, value string) string {
		return "  " + key + ":\n    Certificate: cacerts/" + caFile + "\n    OrganizationalUnitIdentifier: " + value + "\n"
	}
	return "NodeOUs:\n  Enable: true\n" +
		ou("ClientOUIdentifier", string(RoleClient)) +
		ou("PeerOUIdentifier", string(RolePeer)) +
		ou("AdminOUIdentifier", string(RoleAdmin)) +
		ou("OrdererOUIdentifier", string(RoleOrderer))
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Base(path) == keyFile || filepath.Ext(path) == ".key" {
			mode = 0o600
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
