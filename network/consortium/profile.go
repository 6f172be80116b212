package consortium

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Profile is the `chain` section of kaiban's configuration
// (services/internal/config.Chain): everything a kaiban process needs to
// reach the chain as one organisation. kaiban reads the same keys whether the
// chain is devnet or a real Fabric network; only the values differ.
// kaiban-net writes one profile per organisation and channel, so that
// `kaiban ... --config connection/OperatorMSP.yaml` connects.
type Profile struct {
	// Channel is the channel the Kaiban chaincodes are deployed on.
	Channel string `yaml:"channel"`
	// Endpoint is host:port of the gateway peer.
	Endpoint string `yaml:"endpoint"`
	// ServerName is the TLS server name of the gateway peer (its host name),
	// which differs from the endpoint's host.
	ServerName string `yaml:"serverName"`
	// TLSRootCert is a PEM file holding the CA that issued the peer's TLS certificate.
	TLSRootCert string `yaml:"tlsRootCert"`
	// MSPID is the organisation kaiban acts for.
	MSPID string `yaml:"mspId"`
	// Cert is a PEM file holding kaiban's X.509 signing certificate.
	Cert string `yaml:"cert"`
	// Key is a PEM file holding the private key of Cert.
	Key string `yaml:"key"`
}

// profileFile is the document a profile file holds: a kaiban configuration
// file with only its chain section.
type profileFile struct {
	Chain Profile `yaml:"chain"`
}

const profileHeader = `# kaiban configuration for this organisation on this channel, written by
# kaiban-net from network.yaml: the chain section of kaiban's configuration
# (docs/kaiban-net.md, "Connecting kaiban"). Use it as kaiban's --config
# file or copy the section into one. Paths are absolute.
`

// LoadProfile reads a profile file; relative paths in it are taken relative
// to the file.
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
	p := f.Chain
	base := filepath.Dir(path)
	for _, field := range []*string{&p.TLSRootCert, &p.Cert, &p.Key} {
		if *field != "" && !filepath.IsAbs(*field) {
			*field = filepath.Join(base, *field)
		}
	}
	if p.MSPID == "" || p.Endpoint == "" || p.Channel == "" {
		return nil, fmt.Errorf("%s: chain.mspId, chain.endpoint and chain.channel are required", path)
	}
	return &p, nil
}

// ProfileFor returns the profile of an organisation on a channel as seen from
// this machine (container false) or from a container of the compose project,
// naming the organisation's client identity (User1).
func ProfileFor(l Layout, s *Spec, o *Org, channel string, container bool) (*Profile, error) {
	if len(o.Nodes) == 0 || o.Kind == KindOrderer {
		return nil, fmt.Errorf("org %s has no peers", o.MSPID)
	}
	peer := NodeRef{Org: o, Node: o.Nodes[0]}
	corg := CryptoOrg(s, o)
	crypto := l.Crypto()
	user := crypto.UserDir(corg, ClientUser)
	path := func(p string) (string, error) {
		if !container {
			return p, nil
		}
		rel, err := filepath.Rel(l.Dir, p)
		return filepath.ToSlash(filepath.Join(ContainerDir, rel)), err
	}
	e := s.Endpoint(peer)
	p := &Profile{MSPID: o.MSPID, Endpoint: e.External, ServerName: e.Host, Channel: channel}
	if container {
		p.Endpoint = e.Internal
	}
	var err error
	if p.TLSRootCert, err = path(filepath.Join(crypto.TLSCADir(corg), "tlsca."+o.Domain+"-cert.pem")); err != nil {
		return nil, err
	}
	if p.Cert, err = path(filepath.Join(user, "msp", "signcerts", corg.UserName(ClientUser)+"-cert.pem")); err != nil {
		return nil, err
	}
	if p.Key, err = path(filepath.Join(user, "msp", "keystore", "priv_sk")); err != nil {
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
				p, err := ProfileFor(l, s, o, ch.Name, t.container)
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
	if err := enc.Encode(profileFile{Chain: *p}); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return WriteFile(path, buf.Bytes(), 0o644)
}
