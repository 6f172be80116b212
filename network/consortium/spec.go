package consortium

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Runtime says how the nodes run.
type Runtime string

// The runtimes kaiban-net supports.
const (
	// Native runs peer and orderer binaries from FABRIC_BIN as local processes.
	Native Runtime = "native"
	// Docker runs the official hyperledger/fabric-peer and fabric-orderer images
	// with docker compose.
	Docker Runtime = "docker"
)

// Consensus is the ordering service's consensus type, as written in the
// channel configuration.
type Consensus string

// The consensus types kaiban-net supports.
const (
	// Raft is etcdraft, crash fault tolerant; three orderers tolerate one failure.
	Raft Consensus = "etcdraft"
	// BFT is SmartBFT (Fabric 3.x), Byzantine fault tolerant; four orderers
	// tolerate one faulty node.
	BFT Consensus = "BFT"
)

// KindOrderer marks the ordering organisation in Org.Kind; the other kinds are
// the member kinds of the subject chaincode (model.MemberKind).
const KindOrderer = "orderer"

// Spec is a consortium: its organisations, nodes, channels and chaincodes. It
// is stored as network.yaml and is the one source every other file of the
// directory is rendered from.
type Spec struct {
	// Name names the consortium; it is the peers' networkId and prefixes the
	// docker compose project.
	Name string `yaml:"name"`
	// Runtime is native (processes) or docker (containers).
	Runtime Runtime `yaml:"runtime"`
	// Host is the address at which kaiban-net and clients on this machine reach
	// every node (native nodes listen on it).
	Host string `yaml:"host"`
	// Consensus is etcdraft or BFT.
	Consensus Consensus `yaml:"consensus"`
	// ChannelCapability is the channel capability level of new channels: V3_0
	// for Fabric 3 (required by BFT), V2_0 for a network of Fabric 2.5 nodes.
	ChannelCapability string `yaml:"channelCapability"`
	// BatchTimeout is how long an orderer waits before cutting a non-full block.
	BatchTimeout Duration `yaml:"batchTimeout"`
	// MaxMessageCount is the most transactions a block holds.
	MaxMessageCount uint32 `yaml:"maxMessageCount"`
	// Orderer is the ordering organisation; its nodes are the consenters.
	Orderer Org `yaml:"orderer"`
	// Orgs are the application organisations, the alliance members: the platform
	// operator first, then the departments and whoever was admitted later.
	Orgs []Org `yaml:"orgs"`
	// Channels are the application channels, the test channel first (A.4).
	Channels []Channel `yaml:"channels"`
	// Chaincodes are the chaincodes deployed on every channel.
	Chaincodes []string `yaml:"chaincodes"`
	// Packages are the chaincode packages built so far, each with the port its
	// chaincode server listens on.
	Packages []Package `yaml:"packages,omitempty"`
	// Images are the container images of the docker runtime.
	Images Images `yaml:"images"`
	// NextPort is the next host port to hand out to a node or chaincode server.
	NextPort int `yaml:"nextPort"`
}

// Org is an organisation of the consortium.
type Org struct {
	// MSPID is the organisation's MSP ID, e.g. "MarketMSP".
	MSPID string `yaml:"mspID"`
	// Name is the organisation's display name, recorded in its member record.
	Name string `yaml:"name"`
	// Domain is the organisation's DNS domain; node names end with it.
	Domain string `yaml:"domain"`
	// Kind is "orderer" for the ordering organisation, otherwise the member kind
	// (operator, department, institution, regulator).
	Kind string `yaml:"kind"`
	// Department is the department code of a department (model.Departments).
	Department string `yaml:"department,omitempty"`
	// Nodes are the organisation's peers (or orderers).
	Nodes []Node `yaml:"nodes"`
}

// Node is a peer or an orderer.
type Node struct {
	// Index numbers the node within its organisation: peer<Index>.<domain>.
	Index int `yaml:"index"`
	// Port is the node's gRPC port on Host.
	Port int `yaml:"port"`
	// AdminPort is an orderer's channel participation API port.
	AdminPort int `yaml:"adminPort,omitempty"`
	// ChaincodePort is a peer's chaincode listener port.
	ChaincodePort int `yaml:"chaincodePort,omitempty"`
	// OpsPort is the node's operations endpoint (/healthz, /metrics).
	OpsPort int `yaml:"opsPort"`
}

// Channel is an application channel.
type Channel struct {
	Name string `yaml:"name"`
	// Test marks the channel on which chaincode versions are tried before they
	// are promoted to production (A.4).
	Test bool `yaml:"test,omitempty"`
}

// Package is a built chaincode package and its chaincode server.
type Package struct {
	Chaincode string `yaml:"chaincode"`
	Version   string `yaml:"version"`
	// Port is the port of the chaincode server on Host (native) or of its
	// container (docker).
	Port int `yaml:"port"`
}

// Label is the package label, <chaincode>_<version>.
func (p Package) Label() string { return PackageLabel(p.Chaincode, p.Version) }

// PackageLabel returns the label of a chaincode package.
func PackageLabel(chaincode, version string) string { return chaincode + "_" + version }

// Images are the container images of the docker runtime.
type Images struct {
	Peer      string `yaml:"peer"`
	Orderer   string `yaml:"orderer"`
	Chaincode string `yaml:"chaincode"`
}

// Duration is a time.Duration written as "2s" in YAML.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

var (
	mspIDPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	domainPattern  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,248}$`)
	versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)
	ccNamePattern  = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)
)

// memberKinds are the kinds an application organisation may have.
var memberKinds = []string{string(model.MemberOperator), string(model.MemberDepartment), string(model.MemberInstitution), string(model.MemberRegulator)}

// Validate reports the first inconsistency of s: a malformed or duplicate
// name, a port used twice, an unknown kind or consensus type.
func (s *Spec) Validate() error {
	if s.Name == "" || !channelPattern.MatchString(s.Name) {
		return fmt.Errorf("invalid consortium name %q (lower-case letters, digits, dots and dashes)", s.Name)
	}
	if s.Runtime != Native && s.Runtime != Docker {
		return fmt.Errorf("invalid runtime %q (native or docker)", s.Runtime)
	}
	if net.ParseIP(s.Host) == nil && !domainPattern.MatchString(s.Host) && s.Host != "localhost" {
		return fmt.Errorf("invalid host %q", s.Host)
	}
	if err := s.validateConsensus(); err != nil {
		return err
	}
	switch {
	case s.ChannelCapability != "V2_0" && s.ChannelCapability != "V3_0":
		return fmt.Errorf("invalid channel capability %q (V3_0 for Fabric 3, V2_0 for Fabric 2.5)", s.ChannelCapability)
	case s.Consensus == BFT && s.ChannelCapability != "V3_0":
		return fmt.Errorf("BFT needs the V3_0 channel capability (Fabric 3)")
	}
	if s.BatchTimeout <= 0 || s.MaxMessageCount == 0 {
		return fmt.Errorf("batchTimeout and maxMessageCount must be positive")
	}
	if s.Orderer.Kind != KindOrderer {
		return fmt.Errorf("orderer org %s: kind must be %q", s.Orderer.MSPID, KindOrderer)
	}
	if len(s.Orgs) == 0 {
		return fmt.Errorf("no application organisations")
	}
	msps, domains := map[string]bool{}, map[string]bool{}
	for _, o := range append([]Org{s.Orderer}, s.Orgs...) {
		if err := o.validate(); err != nil {
			return err
		}
		if msps[o.MSPID] || domains[o.Domain] {
			return fmt.Errorf("org %s: MSP ID or domain %s used twice", o.MSPID, o.Domain)
		}
		msps[o.MSPID], domains[o.Domain] = true, true
	}
	if len(s.Channels) == 0 {
		return fmt.Errorf("no channels")
	}
	channels := map[string]bool{}
	for _, c := range s.Channels {
		if !channelPattern.MatchString(c.Name) || channels[c.Name] {
			return fmt.Errorf("invalid or duplicate channel name %q", c.Name)
		}
		channels[c.Name] = true
	}
	for _, cc := range s.Chaincodes {
		if !ccNamePattern.MatchString(cc) {
			return fmt.Errorf("invalid chaincode name %q", cc)
		}
	}
	for _, p := range s.Packages {
		if !slices.Contains(s.Chaincodes, p.Chaincode) || !versionPattern.MatchString(p.Version) {
			return fmt.Errorf("package %s: unknown chaincode or invalid version", p.Label())
		}
	}
	return s.validatePorts()
}

func (s *Spec) validateConsensus() error {
	n := len(s.Orderer.Nodes)
	switch s.Consensus {
	case Raft:
		if n < 1 {
			return fmt.Errorf("etcdraft needs at least one orderer")
		}
	case BFT:
		if n < 4 {
			return fmt.Errorf("BFT needs at least four orderers to tolerate one fault, have %d", n)
		}
	default:
		return fmt.Errorf("invalid consensus %q (etcdraft or BFT)", s.Consensus)
	}
	return nil
}

func (o Org) validate() error {
	if !mspIDPattern.MatchString(o.MSPID) {
		return fmt.Errorf("invalid MSP ID %q", o.MSPID)
	}
	if !domainPattern.MatchString(o.Domain) {
		return fmt.Errorf("org %s: invalid domain %q", o.MSPID, o.Domain)
	}
	if o.Kind != KindOrderer && !slices.Contains(memberKinds, o.Kind) {
		return fmt.Errorf("org %s: invalid kind %q (one of %s)", o.MSPID, o.Kind, strings.Join(memberKinds, ", "))
	}
	if o.Kind == string(model.MemberDepartment) && o.Department == "" {
		return fmt.Errorf("org %s: a department needs its department code", o.MSPID)
	}
	if len(o.Nodes) == 0 {
		return fmt.Errorf("org %s has no nodes", o.MSPID)
	}
	seen := map[int]bool{}
	for _, n := range o.Nodes {
		if n.Index < 0 || seen[n.Index] {
			return fmt.Errorf("org %s: invalid or duplicate node index %d", o.MSPID, n.Index)
		}
		seen[n.Index] = true
	}
	return nil
}

func (s *Spec) validatePorts() error {
	used := map[int]string{}
	use := func(port int, what string) error {
		if port <= 0 || port > 65535 {
			return fmt.Errorf("%s: invalid port %d", what, port)
		}
		if prev, ok := used[port]; ok {
			return fmt.Errorf("port %d used by both %s and %s", port, prev, what)
		}
		used[port] = what
		return nil
	}
	for _, o := range append([]Org{s.Orderer}, s.Orgs...) {
		for _, n := range o.Nodes {
			name := o.NodeName(n)
			ports := []int{n.Port, n.OpsPort}
			if o.Kind == KindOrderer {
				ports = append(ports, n.AdminPort)
			} else {
				ports = append(ports, n.ChaincodePort)
			}
			for _, p := range ports {
				if err := use(p, name); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range s.Packages {
		if err := use(p.Port, "chaincode server "+p.Label()); err != nil {
			return err
		}
	}
	return nil
}

// NodeName returns the host name of a node of the organisation, e.g.
// peer0.market.kaiban.local or orderer2.orderer.kaiban.local.
func (o Org) NodeName(n Node) string {
	kind := "peer"
	if o.Kind == KindOrderer {
		kind = "orderer"
	}
	return fmt.Sprintf("%s%d.%s", kind, n.Index, o.Domain)
}

// Node returns the node of the organisation named name.
func (o Org) Node(name string) (Node, bool) {
	for _, n := range o.Nodes {
		if o.NodeName(n) == name {
			return n, true
		}
	}
	return Node{}, false
}

// Org returns the application organisation or the ordering organisation with
// the MSP ID, or an *UnknownError listing the known ones.
func (s *Spec) Org(mspID string) (*Org, error) {
	if s.Orderer.MSPID == mspID {
		return &s.Orderer, nil
	}
	for i := range s.Orgs {
		if s.Orgs[i].MSPID == mspID {
			return &s.Orgs[i], nil
		}
	}
	return nil, &UnknownError{What: "organisation", Name: mspID, Known: s.orgIDs()}
}

func (s *Spec) orgIDs() []string {
	ids := []string{s.Orderer.MSPID}
	for _, o := range s.Orgs {
		ids = append(ids, o.MSPID)
	}
	return ids
}

// Operator returns the platform operator's organisation, the first of kind
// operator: it founds the consortium on chain and reviews new members.
func (s *Spec) Operator() (*Org, error) {
	for i := range s.Orgs {
		if s.Orgs[i].Kind == string(model.MemberOperator) {
			return &s.Orgs[i], nil
		}
	}
	return nil, fmt.Errorf("the consortium has no organisation of kind %s", model.MemberOperator)
}

// Channel returns the channel named name or an *UnknownError.
func (s *Spec) Channel(name string) (*Channel, error) {
	for i := range s.Channels {
		if s.Channels[i].Name == name {
			return &s.Channels[i], nil
		}
	}
	var known []string
	for _, c := range s.Channels {
		known = append(known, c.Name)
	}
	return nil, &UnknownError{What: "channel", Name: name, Known: known}
}

// TestChannel returns the test channel and ProductionChannel the first
// channel that is not one; both fail when the spec has no such channel.
func (s *Spec) TestChannel() (*Channel, error) {
	for i := range s.Channels {
		if s.Channels[i].Test {
			return &s.Channels[i], nil
		}
	}
	return nil, fmt.Errorf("the consortium has no test channel")
}

// ProductionChannel returns the first channel that is not a test channel.
func (s *Spec) ProductionChannel() (*Channel, error) {
	for i := range s.Channels {
		if !s.Channels[i].Test {
			return &s.Channels[i], nil
		}
	}
	return nil, fmt.Errorf("the consortium has no production channel")
}

// CheckChaincode reports an *UnknownError unless name is one of s.Chaincodes.
func (s *Spec) CheckChaincode(name string) error {
	if slices.Contains(s.Chaincodes, name) {
		return nil
	}
	return &UnknownError{What: "chaincode", Name: name, Known: s.Chaincodes}
}

// NodeRef is a node together with its organisation.
type NodeRef struct {
	Org  *Org
	Node Node
}

// Name returns the node's host name.
func (r NodeRef) Name() string { return r.Org.NodeName(r.Node) }

// IsOrderer reports whether the node is an orderer.
func (r NodeRef) IsOrderer() bool { return r.Org.Kind == KindOrderer }

// Peers returns every peer of every application organisation, in spec order.
func (s *Spec) Peers() []NodeRef {
	var refs []NodeRef
	for i := range s.Orgs {
		for _, n := range s.Orgs[i].Nodes {
			refs = append(refs, NodeRef{Org: &s.Orgs[i], Node: n})
		}
	}
	return refs
}

// Orderers returns every orderer.
func (s *Spec) Orderers() []NodeRef {
	var refs []NodeRef
	for _, n := range s.Orderer.Nodes {
		refs = append(refs, NodeRef{Org: &s.Orderer, Node: n})
	}
	return refs
}

// Nodes returns the orderers, then the peers.
func (s *Spec) Nodes() []NodeRef { return append(s.Orderers(), s.Peers()...) }

// FindNode returns the node with the host name, or an *UnknownError.
func (s *Spec) FindNode(name string) (NodeRef, error) {
	var known []string
	for _, r := range s.Nodes() {
		if r.Name() == name {
			return r, nil
		}
		known = append(known, r.Name())
	}
	return NodeRef{}, &UnknownError{What: "node", Name: name, Known: known}
}

// Package returns the package of a chaincode version, if built.
func (s *Spec) Package(chaincode, version string) (Package, bool) {
	for _, p := range s.Packages {
		if p.Chaincode == chaincode && p.Version == version {
			return p, true
		}
	}
	return Package{}, false
}
