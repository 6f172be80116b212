package consortium

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Options choose the consortium that New builds.
type Options struct {
	// Name of the consortium; default "kaiban".
	Name string
	// Domain under which every organisation gets its own subdomain; default
	// "kaiban.local".
	Domain string
	// Runtime; default Native.
	Runtime Runtime
	// Host at which nodes are reached; default 127.0.0.1.
	Host string
	// BasePort is the first host port handed out; default 17000.
	BasePort int
	// Consensus; default Raft.
	Consensus Consensus
	// Orderers is the number of orderers; default 3 for Raft, 4 for BFT.
	Orderers int
	// PeersPerOrg is the number of peers of each organisation; default 1.
	PeersPerOrg int
	// Departments are the department codes that become founding members;
	// default all seven of model.Departments.
	Departments []string
	// ChannelCapability; default V3_0 (Fabric 3).
	ChannelCapability string
	// BatchTimeout; default 500ms.
	BatchTimeout time.Duration
	// TestChannel and Channel name the test and production channels; defaults
	// "kaiban-test" and "kaiban".
	TestChannel, Channel string
}

// departmentNames are the display names of the departments of clause 7.7.
var departmentNames = map[string]string{
	model.DeptMarket:      "Market regulation administration (市场监管, business licence)",
	model.DeptSeal:        "Public security seal engraving (公安, 印章刻制)",
	model.DeptSocial:      "Human resources and social security (人社, 社保登记)",
	model.DeptMedical:     "Healthcare security administration (医保登记)",
	model.DeptHousingFund: "Housing provident fund centre (住房公积金)",
	model.DeptBank:        "Bank account appointment (银行开户)",
	model.DeptTax:         "Taxation bureau (税务)",
}

// DepartmentMSP returns the MSP ID of a department code: "market" →
// "MarketMSP", "housing-fund" → "HousingFundMSP".
func DepartmentMSP(department string) string {
	var b strings.Builder
	for _, part := range strings.Split(department, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "MSP"
}

// New builds the Spec of a new consortium: the platform operator
// (OperatorMSP), one organisation per department, the ordering organisation
// (OrdererMSP), a test and a production channel and the four Kaiban
// chaincodes, with ports handed out from BasePort.
func New(opts Options) (*Spec, error) {
	opts = opts.withDefaults()
	for _, d := range opts.Departments {
		if !slices.Contains(model.Departments, d) {
			return nil, &UnknownError{What: "department", Name: d, Known: model.Departments}
		}
	}
	s := &Spec{
		Name:              opts.Name,
		Runtime:           opts.Runtime,
		Host:              opts.Host,
		Consensus:         opts.Consensus,
		ChannelCapability: opts.ChannelCapability,
		BatchTimeout:      Duration(opts.BatchTimeout),
		MaxMessageCount:   500,
		Channels:          []Channel{{Name: opts.TestChannel, Test: true}, {Name: opts.Channel}},
		Chaincodes:        []string{model.ChaincodeSubject, model.ChaincodeAsset, model.ChaincodeAuthorization, model.ChaincodeApproval},
		Images: Images{
			Peer:      "hyperledger/fabric-peer:3.1",
			Orderer:   "hyperledger/fabric-orderer:3.1",
			Chaincode: "kaiban/chaincode",
		},
		NextPort: opts.BasePort,
	}
	s.Orderer = Org{MSPID: "OrdererMSP", Name: "Kaiban ordering service", Domain: "orderer." + opts.Domain, Kind: KindOrderer}
	for range opts.Orderers {
		s.Orderer.Nodes = append(s.Orderer.Nodes, s.newNode(&s.Orderer))
	}
	orgs := []Org{{MSPID: "OperatorMSP", Name: "Kaiban platform operator (联盟链建设方)", Domain: "operator." + opts.Domain, Kind: string(model.MemberOperator)}}
	for _, d := range opts.Departments {
		orgs = append(orgs, Org{MSPID: DepartmentMSP(d), Name: departmentNames[d], Domain: d + "." + opts.Domain, Kind: string(model.MemberDepartment), Department: d})
	}
	for _, o := range orgs {
		for range opts.PeersPerOrg {
			o.Nodes = append(o.Nodes, s.newNode(&o))
		}
		s.Orgs = append(s.Orgs, o)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "kaiban"
	}
	if o.Domain == "" {
		o.Domain = "kaiban.local"
	}
	if o.Runtime == "" {
		o.Runtime = Native
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.BasePort == 0 {
		o.BasePort = 17000
	}
	if o.Consensus == "" {
		o.Consensus = Raft
	}
	if o.Orderers == 0 {
		o.Orderers = 3
		if o.Consensus == BFT {
			o.Orderers = 4
		}
	}
	if o.ChannelCapability == "" {
		o.ChannelCapability = "V3_0"
	}
	if o.PeersPerOrg == 0 {
		o.PeersPerOrg = 1
	}
	if o.Departments == nil {
		o.Departments = model.Departments
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = 500 * time.Millisecond
	}
	if o.TestChannel == "" {
		o.TestChannel = "kaiban-test"
	}
	if o.Channel == "" {
		o.Channel = "kaiban"
	}
	return o
}

// newNode makes the next node of org with fresh ports; it does not add it.
func (s *Spec) newNode(org *Org) Node {
	n := Node{}
	for _, existing := range org.Nodes {
		n.Index = max(n.Index, existing.Index+1)
	}
	n.Port = s.takePort()
	if org.Kind == KindOrderer {
		n.AdminPort = s.takePort()
	} else {
		n.ChaincodePort = s.takePort()
	}
	n.OpsPort = s.takePort()
	return n
}

func (s *Spec) takePort() int {
	p := s.NextPort
	s.NextPort++
	return p
}

// NewOrg describes an organisation admitted after init (A.2).
type NewOrg struct {
	MSPID      string
	Name       string
	Domain     string
	Kind       string
	Department string
	Peers      int
}

// AddOrg adds an application organisation with fresh nodes and returns it. An
// organisation with the same MSP ID, domain, kind and department is returned
// as it is, so that a retried member add goes on where it stopped; any other
// clash is an error.
func (s *Spec) AddOrg(n NewOrg) (*Org, error) {
	if n.Peers <= 0 {
		n.Peers = 1
	}
	if o, err := s.Org(n.MSPID); err == nil {
		if o.Domain != n.Domain || o.Kind != n.Kind || o.Department != n.Department {
			return nil, fmt.Errorf("organisation %s already exists with domain %s, kind %s", o.MSPID, o.Domain, o.Kind)
		}
		return o, nil
	}
	org := Org{MSPID: n.MSPID, Name: n.Name, Domain: n.Domain, Kind: n.Kind, Department: n.Department}
	if org.Name == "" {
		org.Name = n.MSPID
	}
	if err := (Org{MSPID: org.MSPID, Domain: org.Domain, Kind: org.Kind, Department: org.Department, Nodes: []Node{{}}}).validate(); err != nil {
		return nil, err
	}
	if org.Kind == KindOrderer {
		return nil, fmt.Errorf("organisation %s: a member cannot be of kind %s", org.MSPID, KindOrderer)
	}
	next := *s
	for range n.Peers {
		org.Nodes = append(org.Nodes, next.newNode(&org))
	}
	next.Orgs = append(slices.Clone(s.Orgs), org)
	if err := next.Validate(); err != nil {
		return nil, err
	}
	*s = next
	return &s.Orgs[len(s.Orgs)-1], nil
}

// AddNode adds a node with fresh ports to the organisation and returns it.
func (s *Spec) AddNode(mspID string) (NodeRef, error) {
	org, err := s.Org(mspID)
	if err != nil {
		return NodeRef{}, err
	}
	n := s.newNode(org)
	org.Nodes = append(org.Nodes, n)
	return NodeRef{Org: org, Node: n}, s.Validate()
}

// RemoveNode removes the node with the host name. An organisation keeps at
// least one node, and a BFT ordering service at least four.
func (s *Spec) RemoveNode(name string) error {
	ref, err := s.FindNode(name)
	if err != nil {
		return err
	}
	if len(ref.Org.Nodes) == 1 {
		return fmt.Errorf("%s is the last node of %s; an organisation keeps at least one", name, ref.Org.MSPID)
	}
	next := slices.DeleteFunc(slices.Clone(ref.Org.Nodes), func(n Node) bool { return n.Index == ref.Node.Index })
	if ref.IsOrderer() && s.Consensus == BFT && len(next) < 4 {
		return fmt.Errorf("a BFT ordering service keeps at least four orderers")
	}
	ref.Org.Nodes = next
	return nil
}

// EnsurePackage returns the package of a chaincode version, handing out a port
// for its chaincode server when it is new.
func (s *Spec) EnsurePackage(chaincode, version string) (Package, error) {
	if err := s.CheckChaincode(chaincode); err != nil {
		return Package{}, err
	}
	if !versionPattern.MatchString(version) {
		return Package{}, fmt.Errorf("invalid version %q", version)
	}
	if p, ok := s.Package(chaincode, version); ok {
		return p, nil
	}
	p := Package{Chaincode: chaincode, Version: version, Port: s.takePort()}
	s.Packages = append(s.Packages, p)
	return p, nil
}
