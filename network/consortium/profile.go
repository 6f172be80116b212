package consortium

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Profile is the `fabric` section of kaiban's configuration: everything a
// kaiban service needs to reach the chain as one organisation. kaiban reads
// the same keys for devnet and for a real Fabric network; only the values
// differ. kaiban-net init writes one profile per organisation and channel.
type Profile struct {
	// MSPID is the organisation kaiban acts for.
	MSPID string `yaml:"mspID"`
	// PeerEndpoint is host:port of the peer whose gateway kaiban uses.
	PeerEndpoint string `yaml:"peerEndpoint"`
	// PeerHostOverride is the TLS server name to expect from that peer (its
	// host name) when PeerEndpoint is an IP address or another name.
	PeerHostOverride string `yaml:"peerHostOverride"`
	// TLSRootCert is a PEM file holding the CA that issued the peer's TLS certificate.
	TLSRootCert string `yaml:"tlsRootCert"`
	// CertPath is a PEM file holding kaiban's X.509 certificate (an identity of MSPID).
	CertPath string `yaml:"certPath"`
	// KeyPath is a PEM file holding the private key of CertPath.
	KeyPath string `yaml:"keyPath"`
	// Channel is the channel kaiban transacts on.
	Channel string `yaml:"channel"`
	// Chaincodes maps each Kaiban chaincode (subject, asset, authorization,
	// approval) to the name it is deployed under on Channel.
	Chaincodes map[string]string `yaml:"chaincodes"`
}

// profileFile is the document a profile file holds.
type profileFile struct {
	Fabric Profile `yaml:"fabric"`
}

const profileHeader = `# Connection profile for kaiban, written by kaiban-net from network.yaml.
# This is the fabric section of kaiban's configuration (see docs/kaiban-net.md);
# relative paths are relative to this file.
`

// LoadProfile reads a profile file and makes its paths absolute.
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f profileFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := f.Fabric
	base := filepath.Dir(path)
	for _, field := range []*string{&p.TLSRootCert, &p.CertPath, &p.KeyPath} {
		if *field != "" && !filepath.IsAbs(*field) {
			*field = filepath.Join(base, *field)
		}
	}
	if p.MSPID == "" || p.PeerEndpoint == "" || p.Channel == "" {
		return nil, fmt.Errorf("%s: mspID, peerEndpoint and channel are required", path)
	}
	return &p, nil
}

// ProfileFor returns the profile of an organisation on a channel as seen from
// this machine (container false) or from a container of the compose project.
// Paths are relative to dir, or under /kaiban-net for a container.
func ProfileFor(l Layout, s *Spec, o *Org, channel string, container bool, dir string) (*Profile, error) {
	if len(o.Nodes) == 0 || o.Kind == KindOrderer {
		return nil, fmt.Errorf("org %s has no peers", o.MSPID)
	}
	peer := NodeRef{Org: o, Node: o.Nodes[0]}
	corg := CryptoOrg(s, o)
	crypto := l.Crypto()
	user := crypto.UserDir(corg, ClientUser)
	path := func(p string) (string, error) {
		if container {
			rel, err := filepath.Rel(l.Dir, p)
			return filepath.ToSlash(filepath.Join(ContainerDir, rel)), err
		}
		rel, err := filepath.Rel(dir, p)
		return filepath.ToSlash(rel), err
	}
	e := s.Endpoint(peer)
	p := &Profile{
		MSPID:            o.MSPID,
		PeerEndpoint:     e.External,
		PeerHostOverride: e.Host,
		Channel:          channel,
		Chaincodes:       map[string]string{},
	}
	if container {
		p.PeerEndpoint = e.Internal
	}
	for _, cc := range s.Chaincodes {
		p.Chaincodes[cc] = cc
	}
	var err error
	tlsca := filepath.Join(crypto.TLSCADir(corg), "tlsca."+o.Domain+"-cert.pem")
	if p.TLSRootCert, err = path(tlsca); err != nil {
		return nil, err
	}
	if p.CertPath, err = path(filepath.Join(user, "msp", "signcerts", corg.UserName(ClientUser)+"-cert.pem")); err != nil {
		return nil, err
	}
	if p.KeyPath, err = path(filepath.Join(user, "msp", "keystore", "priv_sk")); err != nil {
		return nil, err
	}
	return p, nil
}

// ContainerDir is where the compose project mounts the consortium directory.
const ContainerDir = "/kaiban-net"

// ProfileName is the file name of an organisation's profile for a channel: the
// production channel's profile is <MSPID>.yaml, the test channel's
// <MSPID>-<channel>.yaml (A.3: test and production access information).
func ProfileName(s *Spec, mspID, channel string) string {
	if prod, err := s.ProductionChannel(); err == nil && prod.Name == channel {
		return mspID + ".yaml"
	}
	return mspID + "-" + channel + ".yaml"
}

func writeProfiles(l Layout, s *Spec) error {
	for i := range s.Orgs {
		o := &s.Orgs[i]
		for _, ch := range s.Channels {
			name := ProfileName(s, o.MSPID, ch.Name)
			targets := []struct {
				path      string
				container bool
			}{{filepath.Join(filepath.Dir(l.ProfileFile(o.MSPID)), name), false}}
			if s.Runtime == Docker {
				targets = append(targets, struct {
					path      string
					container bool
				}{filepath.Join(filepath.Dir(l.ContainerProfileFile(o.MSPID)), name), true})
			}
			for _, t := range targets {
				p, err := ProfileFor(l, s, o, ch.Name, t.container, filepath.Dir(t.path))
				if err != nil {
					return err
				}
				if err := writeProfile(t.path, p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func writeProfile(path string, p *Profile) error {
	var buf bytes.Buffer
	buf.WriteString(profileHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(profileFile{Fabric: *p}); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return WriteFile(path, buf.Bytes(), 0o644)
}
