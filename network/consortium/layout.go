package consortium

import (
	"path/filepath"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Layout locates the files of a consortium directory.
type Layout struct {
	// Dir is the directory, absolute.
	Dir string
}

// SpecFile is network.yaml.
func (l Layout) SpecFile() string { return filepath.Join(l.Dir, "network.yaml") }

// Crypto is the cryptogen layout of the organisations' material.
func (l Layout) Crypto() cryptogen.Layout { return cryptogen.Layout{Dir: l.Dir} }

// NodeDir holds a node's core.yaml or orderer.yaml; the node runs with it as
// its working directory and FABRIC_CFG_PATH.
func (l Layout) NodeDir(r NodeRef) string { return filepath.Join(l.Dir, "nodes", r.Name()) }

// DataDir holds a node's ledger; it is removed by down --purge.
func (l Layout) DataDir(r NodeRef) string { return filepath.Join(l.VarDir(), r.Name()) }

// VarDir holds everything that is state, not configuration.
func (l Layout) VarDir() string { return filepath.Join(l.Dir, "var") }

// LogFile is a process's log (node host name or chaincode package label).
func (l Layout) LogFile(name string) string { return filepath.Join(l.VarDir(), "log", name+".log") }

// PIDFile records a process's ID while it runs.
func (l Layout) PIDFile(name string) string { return filepath.Join(l.VarDir(), "run", name+".pid") }

// BuilderDir is the CCaaS external builder, holding bin/detect, bin/build and bin/release.
func (l Layout) BuilderDir() string { return filepath.Join(l.Dir, "builders", "ccaas") }

// BlockFile is the genesis block of a channel.
func (l Layout) BlockFile(channel string) string {
	return filepath.Join(l.Dir, "channels", channel+".block")
}

// PackageFile is the CCaaS package of a chaincode version.
func (l Layout) PackageFile(p Package) string {
	return filepath.Join(l.Dir, "chaincode", p.Label()+".tar.gz")
}

// ChaincodeBinDir holds the chaincode binaries a package's native server runs,
// copied there at deployment so that a later build cannot change a running version.
func (l Layout) ChaincodeBinDir(p Package) string {
	return filepath.Join(l.VarDir(), "chaincode", p.Label())
}

// ProfileFile is the connection profile of an organisation for kaiban on this
// machine.
func (l Layout) ProfileFile(mspID string) string {
	return filepath.Join(l.Dir, "connection", mspID+".yaml")
}

// ContainerProfileFile is the connection profile of an organisation for kaiban
// running in a container of the compose project (runtime docker).
func (l Layout) ContainerProfileFile(mspID string) string {
	return filepath.Join(l.Dir, "connection", "docker", mspID+".yaml")
}

// MemberDir holds an organisation's SM2 platform key (the key its member
// record on chain names).
func (l Layout) MemberDir(mspID string) string { return filepath.Join(l.Dir, "members", mspID) }

// ComposeFile is the docker compose file of the Fabric network.
func (l Layout) ComposeFile() string { return filepath.Join(l.Dir, "docker-compose.fabric.yaml") }

// CryptoOrg converts an organisation to the cryptogen spec that generates its
// material. Every node index up to the highest one in use is generated, so a
// removed node keeps its (unused) identity folder and a re-added index is not
// issued twice.
func CryptoOrg(s *Spec, o *Org) cryptogen.OrgSpec {
	nodes := 0
	for _, n := range o.Nodes {
		nodes = max(nodes, n.Index+1)
	}
	spec := cryptogen.OrgSpec{
		MSPID:   o.MSPID,
		Domain:  o.Domain,
		Orderer: o.Kind == KindOrderer,
		Nodes:   nodes,
		Hosts:   []string{"localhost", "127.0.0.1"},
		Users:   users(o),
	}
	if s.Host != "localhost" && s.Host != "127.0.0.1" {
		spec.Hosts = append(spec.Hosts, s.Host)
	}
	return spec
}
