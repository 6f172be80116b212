package cryptogen

import "path/filepath"

// Layout locates the folders of a generated network under one base directory.
type Layout struct {
	// Dir is the base directory, the one holding organizations/.
	Dir string
}

// OrgDir returns the folder of an organisation.
func (l Layout) OrgDir(s OrgSpec) string {
	kind := "peerOrganizations"
	if s.Orderer {
		kind = "ordererOrganizations"
	}
	return filepath.Join(l.Dir, "organizations", kind, s.Domain)
}

// MSPDir returns the organisation's channel MSP folder (cacerts, tlscacerts, config.yaml).
func (l Layout) MSPDir(s OrgSpec) string {
	return filepath.Join(l.OrgDir(s), "msp")
}

// CADir returns the folder of the organisation's signing CA.
func (l Layout) CADir(s OrgSpec) string {
	return filepath.Join(l.OrgDir(s), "ca")
}

// TLSCADir returns the folder of the organisation's TLS CA.
func (l Layout) TLSCADir(s OrgSpec) string {
	return filepath.Join(l.OrgDir(s), "tlsca")
}

// NodeDir returns the folder of the i-th peer (or orderer) of the organisation,
// holding msp/ and tls/.
func (l Layout) NodeDir(s OrgSpec, i int) string {
	kind := "peers"
	if s.Orderer {
		kind = "orderers"
	}
	return filepath.Join(l.OrgDir(s), kind, s.NodeName(i))
}

// UserDir returns the folder of a user of the organisation, holding msp/ and tls/.
func (l Layout) UserDir(s OrgSpec, name string) string {
	return filepath.Join(l.OrgDir(s), "users", s.UserName(name))
}

// caCertFile and the names below follow cryptogen's file naming.
func caCertFile(domain string) string    { return "ca." + domain + "-cert.pem" }
func tlsCACertFile(domain string) string { return "tlsca." + domain + "-cert.pem" }

const (
	keyFile    = "priv_sk"
	configFile = "config.yaml"
)
