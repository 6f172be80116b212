package consortium

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"text/template"
)

//go:embed templates
var templateFS embed.FS

var templates = template.Must(template.ParseFS(templateFS, "templates/*.tmpl"))

// Render writes every file of the directory that derives from the Spec: the
// nodes' core.yaml and orderer.yaml, the CCaaS builder, the connection
// profiles, .gitignore and, for the docker runtime, the compose file. Files
// whose content is unchanged are left alone. Crypto material must exist
// (cryptogen.Generate) before Render, since profiles name certificate files.
func Render(l Layout, s *Spec) error {
	for _, r := range s.Nodes() {
		if err := renderNode(l, s, r); err != nil {
			return fmt.Errorf("render %s: %w", r.Name(), err)
		}
	}
	builder := map[string]string{"detect": "detect.sh", "build": "build.sh", "release": "release.sh"}
	for name, src := range builder {
		data, err := templateFS.ReadFile("templates/" + src)
		if err != nil {
			return err
		}
		if err := WriteFile(filepath.Join(l.BuilderDir(), "bin", name), data, 0o755); err != nil {
			return err
		}
	}
	ignore, err := templateFS.ReadFile("templates/gitignore.tmpl")
	if err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(l.Dir, ".gitignore"), ignore, 0o644); err != nil {
		return err
	}
	if err := writeProfiles(l, s); err != nil {
		return err
	}
	if s.Runtime == Docker {
		return renderCompose(l, s)
	}
	return nil
}

// nodeConfig is what the core.yaml and orderer.yaml templates are given.
type nodeConfig struct {
	ID, NetworkID, MSPID             string
	Listen, Address, ChaincodeListen string
	ListenHost                       string
	ListenPort                       int
	AdminListen, OpsListen           string
	GossipBootstrap                  string
	MSPDir, TLSDir, DataDir          string
	ContainerDataDir                 string
	BuilderDir                       string
}

func renderNode(l Layout, s *Spec, r NodeRef) error {
	dir := l.NodeDir(r)
	rel := func(path string) (string, error) { return filepath.Rel(dir, path) }
	crypto := l.Crypto()
	corg := CryptoOrg(s, r.Org)
	nodeDir, err := rel(crypto.NodeDir(corg, r.Node.Index))
	if err != nil {
		return err
	}
	dataDir, err := rel(l.DataDir(r))
	if err != nil {
		return err
	}
	builder, err := rel(l.BuilderDir())
	if err != nil {
		return err
	}
	e := s.Endpoint(r)
	c := nodeConfig{
		ID:               r.Name(),
		NetworkID:        s.Name,
		MSPID:            r.Org.MSPID,
		Address:          e.Internal,
		OpsListen:        s.listen(r.Node.OpsPort, containerOpsPort),
		MSPDir:           filepath.ToSlash(filepath.Join(nodeDir, "msp")),
		TLSDir:           filepath.ToSlash(filepath.Join(nodeDir, "tls")),
		DataDir:          filepath.ToSlash(dataDir),
		ContainerDataDir: ContainerDir + "/var/" + r.Name(),
		BuilderDir:       filepath.ToSlash(builder),
	}
	name, tmpl := "core.yaml", "core.yaml.tmpl"
	if r.IsOrderer() {
		name, tmpl = "orderer.yaml", "orderer.yaml.tmpl"
		host, port, _ := net.SplitHostPort(s.listen(r.Node.Port, containerOrdererPort))
		c.ListenHost = host
		c.ListenPort, _ = strconv.Atoi(port)
		c.AdminListen = s.listen(r.Node.AdminPort, containerAdminPort)
	} else {
		c.Listen = s.listen(r.Node.Port, containerPeerPort)
		c.ChaincodeListen = s.listen(r.Node.ChaincodePort, containerChaincodePort)
		c.GossipBootstrap = gossipBootstrap(s, r)
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, tmpl, c); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
}

// gossipBootstrap is another peer of the same organisation, or the peer itself
// when it is the only one.
func gossipBootstrap(s *Spec, r NodeRef) string {
	for _, n := range r.Org.Nodes {
		if n.Index != r.Node.Index {
			return s.Endpoint(NodeRef{Org: r.Org, Node: n}).Internal
		}
	}
	return s.Endpoint(r).Internal
}

// PackageID returns the ID Fabric gives the package file of p — its label and
// the SHA-256 of the file — or "" when the package has not been built.
func PackageID(l Layout, p Package) (string, error) {
	data, err := os.ReadFile(l.PackageFile(p))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return p.Label() + ":" + hex.EncodeToString(sum[:]), nil
}
