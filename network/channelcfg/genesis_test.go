package channelcfg

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspb "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	ob "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/smartbft"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
)

// newConsortium initialises a consortium directory for a test.
func newConsortium(t *testing.T, opts consortium.Options) (*consortium.Spec, consortium.Layout) {
	t.Helper()
	s, l, err := consortium.Init(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

func small(consensus consortium.Consensus) consortium.Options {
	return consortium.Options{Consensus: consensus, Departments: []string{model.DeptMarket, model.DeptSeal}, BatchTimeout: 250 * time.Millisecond}
}

// unmarshal decodes a config value or fails the test.
func unmarshal(t *testing.T, group *cb.ConfigGroup, key string, m proto.Message) {
	t.Helper()
	v := group.GetValues()[key]
	if v == nil {
		t.Fatalf("config group has no value %q (has %v)", key, keysOf(group.GetValues()))
	}
	if err := proto.Unmarshal(v.Value, m); err != nil {
		t.Fatalf("unmarshal %s: %v", key, err)
	}
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func implicitMeta(t *testing.T, group *cb.ConfigGroup, name string) (cb.ImplicitMetaPolicy_Rule, string) {
	t.Helper()
	p := group.GetPolicies()[name]
	if p == nil || p.Policy.Type != int32(cb.Policy_IMPLICIT_META) {
		t.Fatalf("policy %s is not implicit meta: %v", name, p)
	}
	m := &cb.ImplicitMetaPolicy{}
	if err := proto.Unmarshal(p.Policy.Value, m); err != nil {
		t.Fatal(err)
	}
	return m.Rule, m.SubPolicy
}

// signedBy returns the (MSP ID, role) principals of a signature policy.
func signedBy(t *testing.T, group *cb.ConfigGroup, name string) []string {
	t.Helper()
	p := group.GetPolicies()[name]
	if p == nil || p.Policy.Type != int32(cb.Policy_SIGNATURE) {
		t.Fatalf("policy %s is not a signature policy: %v", name, p)
	}
	env := &cb.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(p.Policy.Value, env); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range env.Identities {
		role := &mspb.MSPRole{}
		if err := proto.Unmarshal(id.Principal, role); err != nil {
			t.Fatal(err)
		}
		out = append(out, role.MspIdentifier+"."+strings.ToLower(role.Role.String()))
	}
	return out
}

func TestGenesis_RaftChannel(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	block, err := Genesis(l, s, "kaiban")
	if err != nil {
		t.Fatal(err)
	}
	if block.Header.Number != 0 || block.Header.PreviousHash != nil {
		t.Errorf("genesis header = %v", block.Header)
	}
	sum := sha256.Sum256(bytes.Join(block.Data.Data, nil))
	if !bytes.Equal(block.Header.DataHash, sum[:]) {
		t.Error("block data hash does not match its data")
	}
	if id, err := ChannelID(block); err != nil || id != "kaiban" {
		t.Errorf("ChannelID = %q, %v", id, err)
	}
	cfg, err := ConfigFromBlock(block)
	if err != nil {
		t.Fatal(err)
	}
	root := cfg.ChannelGroup

	caps := &cb.Capabilities{}
	unmarshal(t, root, "Capabilities", caps)
	if _, ok := caps.Capabilities["V3_0"]; !ok {
		t.Errorf("channel capabilities = %v", keysOf(caps.Capabilities))
	}
	if rule, sub := implicitMeta(t, root, "Admins"); rule != cb.ImplicitMetaPolicy_MAJORITY || sub != "Admins" {
		t.Errorf("channel Admins = %s %s, want MAJORITY Admins", rule, sub)
	}
	if _, ok := root.Values["OrdererAddresses"]; ok {
		t.Error("a V3_0 channel must not carry global orderer addresses")
	}

	app := root.Groups["Application"]
	if got := keysOf(app.Groups); !slices.Equal(got, []string{"MarketMSP", "OperatorMSP", "SealMSP"}) {
		t.Fatalf("application orgs = %v", got)
	}
	for name, want := range map[string]string{"Admins": "Admins", "Endorsement": "Endorsement", "LifecycleEndorsement": "Endorsement"} {
		if rule, sub := implicitMeta(t, app, name); rule != cb.ImplicitMetaPolicy_MAJORITY || sub != want {
			t.Errorf("application %s = %s %s, want MAJORITY %s", name, rule, sub, want)
		}
	}
	unmarshal(t, app, "Capabilities", caps)
	if _, ok := caps.Capabilities[ApplicationCapability]; !ok {
		t.Errorf("application capabilities = %v", keysOf(caps.Capabilities))
	}
	for i := range s.Orgs {
		o := &s.Orgs[i]
		group := app.Groups[o.MSPID]
		checkMSP(t, l, s, o, group)
		if got := signedBy(t, group, "Admins"); !slices.Equal(got, []string{o.MSPID + ".admin"}) {
			t.Errorf("%s Admins = %v", o.MSPID, got)
		}
		if got := signedBy(t, group, "Endorsement"); !slices.Equal(got, []string{o.MSPID + ".peer"}) {
			t.Errorf("%s Endorsement = %v", o.MSPID, got)
		}
		if got := signedBy(t, group, "Writers"); !slices.Equal(got, []string{o.MSPID + ".admin", o.MSPID + ".client"}) {
			t.Errorf("%s Writers = %v", o.MSPID, got)
		}
		anchors := &pb.AnchorPeers{}
		unmarshal(t, group, "AnchorPeers", anchors)
		want := s.Endpoint(consortium.NodeRef{Org: o, Node: o.Nodes[0]}).Internal
		if len(anchors.AnchorPeers) != 1 || fmt.Sprintf("%s:%d", anchors.AnchorPeers[0].Host, anchors.AnchorPeers[0].Port) != want {
			t.Errorf("%s anchor peers = %v, want %s", o.MSPID, anchors.AnchorPeers, want)
		}
	}

	ord := root.Groups["Orderer"]
	ct := &ob.ConsensusType{}
	unmarshal(t, ord, "ConsensusType", ct)
	if ct.Type != "etcdraft" || ct.State != ob.ConsensusType_STATE_NORMAL {
		t.Fatalf("consensus = %s %s", ct.Type, ct.State)
	}
	meta := &etcdraft.ConfigMetadata{}
	if err := proto.Unmarshal(ct.Metadata, meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Consenters) != 3 {
		t.Fatalf("consenters = %d, want 3", len(meta.Consenters))
	}
	for i, r := range s.Orderers() {
		c := meta.Consenters[i]
		host, port := s.Endpoint(r).InternalHostPort()
		if c.Host != host || int(c.Port) != port {
			t.Errorf("consenter %d = %s:%d, want %s:%d", i, c.Host, c.Port, host, port)
		}
		cert := parsePEM(t, c.ServerTlsCert)
		if !slices.Contains(cert.DNSNames, r.Name()) || !bytes.Equal(c.ServerTlsCert, c.ClientTlsCert) {
			t.Errorf("consenter %d TLS certificate names %v", i, cert.DNSNames)
		}
	}
	bt := &ob.BatchTimeout{}
	unmarshal(t, ord, "BatchTimeout", bt)
	if bt.Timeout != "250ms" {
		t.Errorf("batch timeout = %s", bt.Timeout)
	}
	bs := &ob.BatchSize{}
	unmarshal(t, ord, "BatchSize", bs)
	if bs.MaxMessageCount != s.MaxMessageCount {
		t.Errorf("batch size = %d", bs.MaxMessageCount)
	}
	ordOrg := ord.Groups["OrdererMSP"]
	checkMSP(t, l, s, &s.Orderer, ordOrg)
	eps := &cb.OrdererAddresses{}
	unmarshal(t, ordOrg, "Endpoints", eps)
	if len(eps.Addresses) != 3 || eps.Addresses[0] != s.Endpoint(s.Orderers()[0]).Internal {
		t.Errorf("orderer endpoints = %v", eps.Addresses)
	}
	if rule, sub := implicitMeta(t, ord, "BlockValidation"); rule != cb.ImplicitMetaPolicy_ANY || sub != "Writers" {
		t.Errorf("raft BlockValidation = %s %s", rule, sub)
	}
}

// checkMSP verifies an organisation's channel MSP: its CA and TLS CA as
// generated, and NodeOUs naming the client, peer, admin and orderer OUs.
func checkMSP(t *testing.T, l consortium.Layout, s *consortium.Spec, o *consortium.Org, group *cb.ConfigGroup) {
	t.Helper()
	mc := &mspb.MSPConfig{}
	unmarshal(t, group, "MSP", mc)
	fc := &mspb.FabricMSPConfig{}
	if err := proto.Unmarshal(mc.Config, fc); err != nil {
		t.Fatal(err)
	}
	mat, err := l.Crypto().Org(consortium.CryptoOrg(s, o))
	if err != nil {
		t.Fatal(err)
	}
	if fc.Name != o.MSPID || len(fc.RootCerts) != 1 || !parsePEM(t, fc.RootCerts[0]).Equal(mat.CACerts[0]) {
		t.Errorf("%s MSP name %s or root certificate wrong", o.MSPID, fc.Name)
	}
	if len(fc.TlsRootCerts) != 1 || !parsePEM(t, fc.TlsRootCerts[0]).Equal(mat.TLSCACerts[0]) {
		t.Errorf("%s TLS root certificate wrong", o.MSPID)
	}
	ous := fc.FabricNodeOus
	if ous == nil || !ous.Enable {
		t.Fatalf("%s NodeOUs not enabled", o.MSPID)
	}
	got := []string{ous.ClientOuIdentifier.OrganizationalUnitIdentifier, ous.PeerOuIdentifier.OrganizationalUnitIdentifier,
		ous.AdminOuIdentifier.OrganizationalUnitIdentifier, ous.OrdererOuIdentifier.OrganizationalUnitIdentifier}
	if !slices.Equal(got, []string{"client", "peer", "admin", "orderer"}) {
		t.Errorf("%s NodeOUs = %v", o.MSPID, got)
	}
}

func parsePEM(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("no PEM in %q", data)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenesis_BFTChannel(t *testing.T) {
	s, l := newConsortium(t, small(consortium.BFT))
	block, err := Genesis(l, s, "kaiban-test")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bytes.Join(block.Data.Data, nil))
	if !bytes.Equal(block.Header.DataHash, sum[:]) {
		t.Error("data hash not recomputed after the BFT rewrite")
	}
	cfg, err := ConfigFromBlock(block)
	if err != nil {
		t.Fatal(err)
	}
	ord := cfg.ChannelGroup.Groups["Orderer"]
	ct := &ob.ConsensusType{}
	unmarshal(t, ord, "ConsensusType", ct)
	if ct.Type != "BFT" {
		t.Fatalf("consensus = %s", ct.Type)
	}
	opts := &smartbft.Options{}
	if err := proto.Unmarshal(ct.Metadata, opts); err != nil {
		t.Fatal(err)
	}
	if opts.RequestBatchMaxInterval != "250ms" || opts.RequestBatchMaxCount != uint64(s.MaxMessageCount) || opts.LeaderRotation != smartbft.Options_ROTATION_OFF {
		t.Errorf("SmartBFT options = %v", opts)
	}
	mapping := &cb.Orderers{}
	unmarshal(t, ord, "Orderers", mapping)
	if len(mapping.ConsenterMapping) != 4 {
		t.Fatalf("consenter mapping has %d, want 4", len(mapping.ConsenterMapping))
	}
	for i, c := range mapping.ConsenterMapping {
		if c.Id != uint32(i+1) || c.MspId != "OrdererMSP" {
			t.Errorf("consenter %d: id %d msp %s", i, c.Id, c.MspId)
		}
		id := parsePEM(t, c.Identity)
		if !slices.Contains(id.Subject.OrganizationalUnit, "orderer") {
			t.Errorf("consenter %d identity OU = %v, want an orderer enrollment certificate", i, id.Subject.OrganizationalUnit)
		}
	}
	checkBFTPolicy(t, ord, mapping.ConsenterMapping)
}

// checkBFTPolicy verifies that BlockValidation requires a BFT quorum of the
// consenters' identities.
func checkBFTPolicy(t *testing.T, ord *cb.ConfigGroup, consenters []*cb.Consenter) {
	t.Helper()
	p := ord.Policies["BlockValidation"]
	if p.Policy.Type != int32(cb.Policy_SIGNATURE) {
		t.Fatalf("BFT BlockValidation type = %d", p.Policy.Type)
	}
	env := &cb.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(p.Policy.Value, env); err != nil {
		t.Fatal(err)
	}
	n := env.Rule.GetNOutOf()
	if n == nil || int(n.N) != BFTQuorum(len(consenters)) || len(n.Rules) != len(consenters) || len(env.Identities) != len(consenters) {
		t.Fatalf("BlockValidation = %v", env)
	}
	for i, id := range env.Identities {
		si := &mspb.SerializedIdentity{}
		if err := proto.Unmarshal(id.Principal, si); err != nil {
			t.Fatal(err)
		}
		if id.PrincipalClassification != mspb.MSPPrincipal_IDENTITY || !bytes.Equal(si.IdBytes, consenters[i].Identity) {
			t.Errorf("identity %d does not match consenter %d", i, consenters[i].Id)
		}
	}
}

func TestGenesis_Fabric25Capability(t *testing.T) {
	opts := small(consortium.Raft)
	opts.ChannelCapability = "V2_0"
	s, l := newConsortium(t, opts)
	block, err := Genesis(l, s, "kaiban")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ConfigFromBlock(block)
	caps := &cb.Capabilities{}
	unmarshal(t, cfg.ChannelGroup, "Capabilities", caps)
	if got := keysOf(caps.Capabilities); !slices.Equal(got, []string{"V2_0"}) {
		t.Errorf("channel capabilities = %v, want [V2_0]", got)
	}
}

func TestBFTQuorum(t *testing.T) {
	for n, want := range map[int]int{1: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 10: 7} {
		if got := BFTQuorum(n); got != want {
			t.Errorf("BFTQuorum(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestGenesis_UnknownChannel(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	if _, err := Genesis(l, s, "nope"); err == nil || !strings.Contains(err.Error(), `unknown channel "nope"`) {
		t.Errorf("Genesis(nope) = %v", err)
	}
}

func TestConfigEnvelope_RejectsNonConfigBlocks(t *testing.T) {
	for name, b := range map[string]*cb.Block{
		"nil":     nil,
		"empty":   {Data: &cb.BlockData{}},
		"garbage": {Data: &cb.BlockData{Data: [][]byte{[]byte("not a proto")}}},
	} {
		if _, err := ConfigFromBlock(b); err == nil {
			t.Errorf("%s: ConfigFromBlock succeeded", name)
		}
	}
}
