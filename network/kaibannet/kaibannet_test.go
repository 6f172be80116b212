package kaibannet

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// newNetwork initialises a small consortium directory on a free port range.
func newNetwork(t *testing.T) *Network {
	t.Helper()
	// Below the kernel's ephemeral range, so that outgoing connections of
	// other programs do not hold the ports; spread by process so that
	// parallel test binaries do not collide.
	base := 20000 + (os.Getpid()%300)*40
	n, err := Init(t.TempDir(), consortium.Options{BasePort: base, Departments: []string{model.DeptMarket}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// specBytes is network.yaml as on disk.
func specBytes(t *testing.T, n *Network) []byte {
	t.Helper()
	data, err := os.ReadFile(n.Layout.SpecFile())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// unchanged fails the test if network.yaml differs from before.
func unchanged(t *testing.T, n *Network, before []byte, what string) {
	t.Helper()
	if after := specBytes(t, n); !bytes.Equal(before, after) {
		t.Errorf("%s changed network.yaml", what)
	}
}

func TestUp_MissingBinaryChangesNothing(t *testing.T) {
	n := newNetwork(t)
	t.Setenv(fabricproc.EnvFabricBin, t.TempDir())
	t.Setenv("PATH", t.TempDir())
	err := n.Up(context.Background())
	var missing *fabricproc.MissingBinaryError
	if !errors.As(err, &missing) || missing.Name != "peer" {
		t.Fatalf("Up without binaries = %v", err)
	}
	if _, err := os.Stat(n.Layout.VarDir()); err == nil {
		t.Error("a failed up created var/")
	}
}

// fakeFabric puts peer and orderer scripts that only sleep into FABRIC_BIN.
func fakeFabric(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []string{"peer", "orderer"} {
		if err := os.WriteFile(filepath.Join(dir, b), []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(fabricproc.EnvFabricBin, dir)
}

func TestUp_PortInUseChangesNothing(t *testing.T) {
	n := newNetwork(t)
	fakeFabric(t)
	peer := n.Spec.Peers()[1]
	l, err := net.Listen("tcp", n.Spec.Endpoint(peer).Ops)
	if err != nil {
		t.Skipf("cannot occupy the peer's port: %v", err)
	}
	defer l.Close()
	err = n.Up(context.Background())
	var inUse *fabricproc.PortInUseError
	if !errors.As(err, &inUse) || inUse.For != peer.Name() {
		t.Fatalf("Up with a busy port = %v", err)
	}
	for _, r := range n.Spec.Nodes() {
		if _, err := os.Stat(n.Layout.PIDFile(r.Name())); err == nil {
			t.Errorf("%s was started although a port was taken", r.Name())
		}
	}
}

func TestDeploy_BadInputChangesNothing(t *testing.T) {
	n := newNetwork(t)
	before := specBytes(t, n)
	bin := t.TempDir()
	for _, cc := range n.Spec.Chaincodes {
		os.WriteFile(filepath.Join(bin, cc), []byte("#!/bin/sh\n"), 0o755)
	}
	ctx := context.Background()
	var unknown *consortium.UnknownError
	for name, tc := range map[string]struct {
		opts  DeployOptions
		check func(error) bool
	}{
		"unknown chaincode": {DeployOptions{Version: "1.0", Chaincodes: []string{"payroll"}, BinDir: bin}, func(err error) bool { return errors.As(err, &unknown) && unknown.What == "chaincode" }},
		"unknown channel":   {DeployOptions{Version: "1.0", Channels: []string{"prod"}, BinDir: bin}, func(err error) bool { return errors.As(err, &unknown) && unknown.What == "channel" }},
		"no version":        {DeployOptions{BinDir: bin}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "--version") }},
		"missing binary": {DeployOptions{Version: "1.0", BinDir: t.TempDir()}, func(err error) bool {
			var m *MissingChaincodeBinaryError
			return errors.As(err, &m) && strings.Contains(err.Error(), "make build")
		}},
	} {
		if err := n.Deploy(ctx, tc.opts); !tc.check(err) {
			t.Errorf("%s: Deploy = %v", name, err)
		}
		unchanged(t, n, before, name)
	}
	if err := n.Promote(ctx, "kaiban-test", "nowhere", nil); !errors.As(err, &unknown) {
		t.Errorf("Promote to an unknown channel = %v", err)
	}
	if err := n.Upgrade(ctx, DeployOptions{Version: "2.0", Chaincodes: []string{"payroll"}, BinDir: bin}); !errors.As(err, &unknown) {
		t.Errorf("Upgrade of an unknown chaincode = %v", err)
	}
	unchanged(t, n, before, "promote/upgrade")
}

func TestAddMember_BadInputChangesNothing(t *testing.T) {
	n := newNetwork(t)
	before := specBytes(t, n)
	ctx := context.Background()
	for name, org := range map[string]consortium.NewOrg{
		"bad kind":            {MSPID: "TaxMSP", Domain: "tax.kaiban.local", Kind: "ministry"},
		"existing, changed":   {MSPID: "MarketMSP", Domain: "elsewhere.kaiban.local", Kind: "department", Department: "market"},
		"domain taken":        {MSPID: "NewMSP", Domain: "market.kaiban.local", Kind: "institution"},
		"orderer kind":        {MSPID: "NewMSP", Domain: "new.kaiban.local", Kind: consortium.KindOrderer},
		"network not running": {MSPID: "TaxMSP", Domain: "tax.kaiban.local", Kind: "department", Department: "tax"},
	} {
		if err := n.AddMember(ctx, org); err == nil {
			t.Errorf("%s: AddMember succeeded", name)
		} else if name == "network not running" && !strings.Contains(err.Error(), "kaiban-net up") {
			t.Errorf("AddMember on a stopped network = %v", err)
		}
		unchanged(t, n, before, name)
	}
	if _, err := os.Stat(filepath.Join(n.Layout.Dir, "organizations", "peerOrganizations", "tax.kaiban.local")); err == nil {
		t.Error("a refused admission generated crypto material")
	}
}

func TestNodeCommands_BadInputChangesNothing(t *testing.T) {
	n := newNetwork(t)
	before := specBytes(t, n)
	ctx := context.Background()
	var unknown *consortium.UnknownError
	if _, err := n.AddNode(ctx, "NopeMSP"); !errors.As(err, &unknown) || unknown.What != "organisation" {
		t.Errorf("AddNode to an unknown org = %v", err)
	}
	if err := n.RemoveNode(ctx, "peer9.market.kaiban.local"); !errors.As(err, &unknown) || unknown.What != "node" {
		t.Errorf("RemoveNode of an unknown node = %v", err)
	}
	if err := n.RemoveNode(ctx, "peer0.market.kaiban.local"); err == nil || !strings.Contains(err.Error(), "last node") {
		t.Errorf("RemoveNode of an org's last peer = %v", err)
	}
	if _, err := n.AddNode(ctx, "MarketMSP"); err == nil || !strings.Contains(err.Error(), "kaiban-net up") {
		t.Errorf("AddNode on a stopped network = %v", err)
	}
	unchanged(t, n, before, "node commands")
}

func TestCreateChannels_UnknownChannel(t *testing.T) {
	n := newNetwork(t)
	var unknown *consortium.UnknownError
	if err := n.CreateChannels(context.Background(), "kaiban", "nope"); !errors.As(err, &unknown) {
		t.Errorf("CreateChannels(nope) = %v", err)
	}
	if _, err := os.Stat(n.Layout.BlockFile("kaiban")); err == nil {
		t.Error("a refused channel create wrote a genesis block")
	}
}

func TestStatus_NodesDown(t *testing.T) {
	n := newNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30e9)
	defer cancel()
	st, err := n.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != len(n.Spec.Nodes()) {
		t.Fatalf("status of %d nodes, want %d", len(st.Nodes), len(n.Spec.Nodes()))
	}
	for _, ns := range st.Nodes {
		if ns.Healthy || ns.Health == "" {
			t.Errorf("%s reported healthy while nothing runs", ns.Name)
		}
	}
	var buf bytes.Buffer
	st.Format(&buf)
	if !strings.Contains(buf.String(), "DOWN") || !strings.Contains(buf.String(), "kaiban-test (test)") {
		t.Errorf("report:\n%s", buf.String())
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP ledger_blockchain_height Height of the chain in blocks.
# TYPE ledger_blockchain_height gauge
ledger_blockchain_height{channel="kaiban"} 12
ledger_blockchain_height{channel="kaiban-test"} 7
endorser_proposals_received 40
endorser_proposals_received{extra="a,b"} 2
consensus_etcdraft_is_leader{channel="kaiban"} 1
process_resident_memory_bytes 1.6e+08
malformed line
`
	s := parseMetrics(strings.NewReader(text))
	h := s.byChannel("ledger_blockchain_height")
	if h["kaiban"] != 12 || h["kaiban-test"] != 7 {
		t.Errorf("heights = %v", h)
	}
	if v, ok := s.sum("endorser_proposals_received"); !ok || v != 42 {
		t.Errorf("proposals = %v, %v", v, ok)
	}
	if v, _ := s.sum("process_resident_memory_bytes"); formatMetric("process_resident_memory_bytes", v) != "160MB" {
		t.Errorf("rss = %v", v)
	}
	if notes := s.channelNotes(); notes["kaiban"] != "leader" {
		t.Errorf("channel notes = %v", notes)
	}
	if _, ok := s.sum("absent"); ok {
		t.Error("sum of an absent metric")
	}
	if got := strconv.Itoa(len(splitLabels(`a="x,y",b="z"`))); got != "2" {
		t.Errorf("splitLabels split inside quotes: %s", got)
	}
}

func TestMemberPermissions(t *testing.T) {
	if got := MemberPermissions("operator"); len(got) != len(model.MemberPermissions) {
		t.Errorf("operator = %v", got)
	}
	if got := MemberPermissions("department"); len(got) != 1 || got[0] != model.PermContract {
		t.Errorf("department = %v", got)
	}
	if got := MemberPermissions("institution"); got != nil {
		t.Errorf("institution = %v", got)
	}
}
