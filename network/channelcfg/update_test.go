package channelcfg

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	ob "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/consortium"
)

// channelConfig returns the configuration of a new channel of s.
func channelConfig(t *testing.T, l consortium.Layout, s *consortium.Spec) *cb.Config {
	t.Helper()
	block, err := Genesis(l, s, "kaiban")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromBlock(block)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func decodeUpdate(t *testing.T, u *Update) *cb.ConfigUpdate {
	t.Helper()
	cu := &cb.ConfigUpdate{}
	if err := proto.Unmarshal(u.Marshaled, cu); err != nil {
		t.Fatal(err)
	}
	if cu.ChannelId != "kaiban" {
		t.Errorf("update channel = %q", cu.ChannelId)
	}
	return cu
}

func TestReconcile_NewChannelNeedsNoUpdate(t *testing.T) {
	for _, c := range []consortium.Consensus{consortium.Raft, consortium.BFT} {
		s, l := newConsortium(t, small(c))
		u, err := Reconcile(l, s, channelConfig(t, l, s), "kaiban")
		if err != nil || u != nil {
			t.Errorf("%s: Reconcile of a fresh channel = %+v, %v; want nothing to do", c, u, err)
		}
	}
}

func TestReconcile_AdmitMemberNeedsMajority(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	cfg := channelConfig(t, l, s)
	if _, err := s.AddOrg(consortium.NewOrg{MSPID: "TaxMSP", Domain: "tax.kaiban.local", Kind: "department", Department: "tax"}); err != nil {
		t.Fatal(err)
	}
	if err := consortium.Materialize(l, s); err != nil {
		t.Fatal(err)
	}
	u, err := Reconcile(l, s, cfg, "kaiban")
	if err != nil || u == nil {
		t.Fatalf("Reconcile = %v, %v", u, err)
	}
	// Three members before the admission: a majority is two.
	if !slices.Equal(u.Signers, []string{"OperatorMSP", "MarketMSP"}) {
		t.Errorf("signers = %v, want the first two of three members", u.Signers)
	}
	cu := decodeUpdate(t, u)
	app := cu.WriteSet.Groups["Application"]
	if app == nil || app.Groups["TaxMSP"] == nil {
		t.Fatalf("write set does not add TaxMSP: %v", cu.WriteSet)
	}
	if app.Version != cu.ReadSet.Groups["Application"].Version+1 {
		t.Errorf("application group version %d, read %d: membership change must bump it", app.Version, cu.ReadSet.Groups["Application"].Version)
	}
	tax := app.Groups["TaxMSP"]
	checkMSP(t, l, s, &s.Orgs[len(s.Orgs)-1], tax)
	if _, ok := tax.Values["AnchorPeers"]; !ok {
		t.Error("new member has no anchor peers")
	}
	if u2, err := Reconcile(l, s, u.Updated, "kaiban"); err != nil || u2 != nil {
		t.Errorf("Reconcile after the admission = %+v, %v; want nothing", u2, err)
	}

	signers := map[string]*configtx.SigningIdentity{}
	for _, o := range append([]*consortium.Org{&s.Orderer}, &s.Orgs[0], &s.Orgs[1], &s.Orgs[2]) {
		id, err := l.Crypto().User(consortium.CryptoOrg(s, o), consortium.AdminUser)
		if err != nil {
			t.Fatal(err)
		}
		signers[o.MSPID] = &configtx.SigningIdentity{Certificate: id.Cert, PrivateKey: id.Key, MSPID: o.MSPID}
	}
	env, err := u.Envelope(signers)
	if err != nil {
		t.Fatal(err)
	}
	payload := &cb.Payload{}
	if err := proto.Unmarshal(env.Payload, payload); err != nil {
		t.Fatal(err)
	}
	ch := &cb.ChannelHeader{}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, ch); err != nil {
		t.Fatal(err)
	}
	if ch.Type != int32(cb.HeaderType_CONFIG_UPDATE) || ch.ChannelId != "kaiban" || len(env.Signature) == 0 {
		t.Errorf("envelope header %v, signature %d bytes", ch, len(env.Signature))
	}
	cue := &cb.ConfigUpdateEnvelope{}
	if err := proto.Unmarshal(payload.Data, cue); err != nil {
		t.Fatal(err)
	}
	if len(cue.Signatures) != 2 {
		t.Errorf("config update carries %d signatures, want 2", len(cue.Signatures))
	}
	delete(signers, "MarketMSP")
	if _, err := u.Envelope(signers); err == nil {
		t.Error("Envelope without a required admin succeeded")
	}
}

func TestMajority(t *testing.T) {
	orgs := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 8: 5} {
		if got := Majority(orgs[:n]); len(got) != want {
			t.Errorf("Majority of %d = %d, want %d", n, len(got), want)
		}
	}
}

func TestReconcile_AnchorPeersOfNewPeer(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	cfg := channelConfig(t, l, s)
	if _, err := s.AddNode("MarketMSP"); err != nil {
		t.Fatal(err)
	}
	if err := consortium.Materialize(l, s); err != nil {
		t.Fatal(err)
	}
	u, err := Reconcile(l, s, cfg, "kaiban")
	if err != nil || u == nil {
		t.Fatalf("Reconcile = %v, %v", u, err)
	}
	if !slices.Equal(u.Signers, []string{"MarketMSP"}) {
		t.Errorf("signers = %v, want only MarketMSP's admin", u.Signers)
	}
}

func raftConsenterHosts(t *testing.T, cfg *cb.Config) []string {
	t.Helper()
	ct := &ob.ConsensusType{}
	unmarshal(t, cfg.ChannelGroup.Groups["Orderer"], "ConsensusType", ct)
	meta := &etcdraft.ConfigMetadata{}
	if err := proto.Unmarshal(ct.Metadata, meta); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range meta.Consenters {
		out = append(out, fmt.Sprintf("%s:%d", c.Host, c.Port))
	}
	return out
}

func TestReconcile_RaftConsentersOneAtATime(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	cfg := channelConfig(t, l, s)
	for range 2 {
		if _, err := s.AddNode("OrdererMSP"); err != nil {
			t.Fatal(err)
		}
	}
	if err := consortium.Materialize(l, s); err != nil {
		t.Fatal(err)
	}
	var steps int
	for ; steps < 5; steps++ {
		u, err := Reconcile(l, s, cfg, "kaiban")
		if err != nil {
			t.Fatal(err)
		}
		if u == nil {
			break
		}
		if !slices.Equal(u.Signers, []string{"OrdererMSP"}) {
			t.Errorf("signers = %v", u.Signers)
		}
		if before, after := len(raftConsenterHosts(t, cfg)), len(raftConsenterHosts(t, u.Updated)); after != before+1 {
			t.Errorf("step %d: consenters %d → %d, want one more", steps, before, after)
		}
		cfg = u.Updated
	}
	if steps != 2 {
		t.Errorf("two new orderers took %d updates, want 2", steps)
	}
	eps := &cb.OrdererAddresses{}
	unmarshal(t, cfg.ChannelGroup.Groups["Orderer"].Groups["OrdererMSP"], "Endpoints", eps)
	if len(eps.Addresses) != 5 {
		t.Errorf("orderer endpoints = %v, want 5", eps.Addresses)
	}
	if err := s.RemoveNode("orderer0.orderer.kaiban.local"); err != nil {
		t.Fatal(err)
	}
	u, err := Reconcile(l, s, cfg, "kaiban")
	if err != nil || u == nil {
		t.Fatalf("Reconcile after removal = %v, %v", u, err)
	}
	hosts := raftConsenterHosts(t, u.Updated)
	if removed := s.Endpoint(consortium.NodeRef{Org: &s.Orderer, Node: consortium.Node{Port: 17000}}).Internal; len(hosts) != 4 || slices.Contains(hosts, removed) {
		t.Errorf("consenters after removing %s = %v", removed, hosts)
	}
}

func TestReconcile_BFTConsenterJoinsWithNewQuorum(t *testing.T) {
	s, l := newConsortium(t, small(consortium.BFT))
	cfg := channelConfig(t, l, s)
	if _, err := s.AddNode("OrdererMSP"); err != nil {
		t.Fatal(err)
	}
	if err := consortium.Materialize(l, s); err != nil {
		t.Fatal(err)
	}
	u, err := Reconcile(l, s, cfg, "kaiban")
	if err != nil || u == nil {
		t.Fatalf("Reconcile = %v, %v", u, err)
	}
	ord := u.Updated.ChannelGroup.Groups["Orderer"]
	mapping := &cb.Orderers{}
	unmarshal(t, ord, "Orderers", mapping)
	if len(mapping.ConsenterMapping) != 5 || mapping.ConsenterMapping[4].Id != 5 {
		t.Fatalf("consenters after join = %v", mapping.ConsenterMapping)
	}
	checkBFTPolicy(t, ord, mapping.ConsenterMapping)
	cu := decodeUpdate(t, u)
	if _, ok := cu.WriteSet.Groups["Orderer"].Values["Orderers"]; !ok {
		t.Error("update does not write the consenter mapping")
	}

	if err := s.RemoveNode("orderer1.orderer.kaiban.local"); err != nil {
		t.Fatal(err)
	}
	u, err = Reconcile(l, s, u.Updated, "kaiban")
	if err != nil || u == nil {
		t.Fatalf("Reconcile after removal = %v, %v", u, err)
	}
	unmarshal(t, u.Updated.ChannelGroup.Groups["Orderer"], "Orderers", mapping)
	var ids []uint32
	for _, c := range mapping.ConsenterMapping {
		ids = append(ids, c.Id)
	}
	if !slices.Equal(ids, []uint32{1, 3, 4, 5}) {
		t.Errorf("consenter IDs after removing orderer1 = %v, want [1 3 4 5]", ids)
	}
	checkBFTPolicy(t, u.Updated.ChannelGroup.Groups["Orderer"], mapping.ConsenterMapping)
}

func TestReconcile_ConsensusMismatch(t *testing.T) {
	s, l := newConsortium(t, small(consortium.Raft))
	cfg := channelConfig(t, l, s)
	s.Consensus = consortium.BFT
	for range 1 {
		if _, err := s.AddNode("OrdererMSP"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Reconcile(l, s, cfg, "kaiban"); err == nil {
		t.Error("Reconcile of an etcdraft channel against a BFT consortium succeeded")
	}
}
