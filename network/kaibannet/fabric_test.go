package kaibannet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// requireFabric skips the test or benchmark unless FABRIC_BIN (or the PATH)
// holds peer and orderer.
func requireFabric(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: runs a real Fabric network")
	}
	for _, b := range []string{"peer", "orderer"} {
		if _, err := fabricproc.FindBinary(b); err != nil {
			t.Skipf("real Fabric %s skipped: %v.\nTo run it, get the Fabric 3.1 binaries (see docs/kaiban-net.md, "+
				"\"Getting Fabric\") and run: FABRIC_BIN=/path/to/fabric/bin go test ./kaibannet -run Fabric -v "+
				"(benchmarks: -run '^$' -bench Fabric -benchtime 1x)", kind(t), err)
		}
	}
}

func kind(t testing.TB) string {
	if _, ok := t.(*testing.B); ok {
		return "benchmark"
	}
	return "test"
}

// buildChaincodes builds the four chaincode binaries into a temporary directory.
func buildChaincodes(t testing.TB, version string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(t.TempDir(), "cc-"+version)
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./chaincode/cmd/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build chaincodes: %v\n%s", err, out)
	}
	return dir
}

// TestFabric_AnnexA runs every Annex A procedure against real Fabric
// binaries: the consortium created (A.1), a member admitted (A.2), the
// chaincodes deployed, upgraded on the test channel and promoted (A.4), an
// enterprise establishment with a locker opened (A.5) through the
// fabric-gateway client as kaiban uses it, peers and consenters added and
// removed, and the network restarted.
func TestFabric_AnnexA(t *testing.T) {
	requireFabric(t)
	ccBin := buildChaincodes(t, "1.0")
	dir := filepath.Join(t.TempDir(), "net")
	if keep := os.Getenv("KAIBAN_NET_TEST_DIR"); keep != "" {
		// Keeps the network's directory (logs, ledgers) for a look afterwards.
		dir = keep
	}
	ctx := context.Background()
	timed := func(name string, fn func() error) {
		t.Helper()
		start := time.Now()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("TIMING %-28s %s", name, time.Since(start).Round(time.Millisecond))
	}
	var net *Network
	timed("init", func() (err error) {
		net, err = Init(dir, consortium.Options{
			BasePort:     27000,
			Departments:  []string{model.DeptMarket, model.DeptSeal},
			BatchTimeout: 200 * time.Millisecond,
		}, os.Stderr)
		return err
	})
	t.Cleanup(func() {
		if err := net.Down(context.Background(), false); err != nil {
			t.Errorf("down: %v", err)
		}
		net.Close()
	})
	timed("up", func() error { return net.Up(ctx) })
	timed("channel create", func() error { return net.CreateChannels(ctx) })
	timed("cc deploy 1.0", func() error { return net.Deploy(ctx, DeployOptions{Version: "1.0", BinDir: ccBin}) })
	heights := channelHeights(t, net)
	timed("channel create + cc deploy again", func() error {
		if err := net.CreateChannels(ctx); err != nil {
			return err
		}
		return net.Deploy(ctx, DeployOptions{Version: "1.0", BinDir: ccBin})
	})
	if again := channelHeights(t, net); fmt.Sprint(again) != fmt.Sprint(heights) {
		t.Errorf("repeating channel create and cc deploy wrote blocks: %v → %v", heights, again)
	}
	if err := net.Deploy(ctx, DeployOptions{Version: "2.0", BinDir: ccBin}); err == nil {
		t.Error("cc deploy of another version over a deployed one succeeded")
	}

	var view model.ProcessView
	timed("establishment on kaiban", func() error {
		view = establishment(t, net, "kaiban", "a1")
		return nil
	})
	if got := stepStatus(view, model.DeptMarket); got != model.StepApproved {
		t.Errorf("market step = %s, want approved", got)
	}
	if v := stepStatus(view, model.DeptSeal); v != model.StepPending {
		t.Errorf("seal step = %s, want pending (ready after the licence)", v)
	}

	timed("member add TaxMSP", func() error {
		return net.AddMember(ctx, consortium.NewOrg{MSPID: "TaxMSP", Name: "Taxation bureau", Domain: "tax.kaiban.local", Kind: "department", Department: model.DeptTax})
	})
	heights = channelHeights(t, net)
	timed("member add TaxMSP again", func() error {
		return net.AddMember(ctx, consortium.NewOrg{MSPID: "TaxMSP", Name: "Taxation bureau", Domain: "tax.kaiban.local", Kind: "department", Department: model.DeptTax})
	})
	if again := channelHeights(t, net); fmt.Sprint(again) != fmt.Sprint(heights) {
		t.Errorf("repeating member add wrote blocks: %v → %v", heights, again)
	}
	taxMember, err := net.member(ctx, &net.Spec.Orgs[0], "kaiban", "TaxMSP")
	if err != nil || taxMember == nil || taxMember.Status != model.StatusActive || taxMember.Department != model.DeptTax {
		t.Fatalf("TaxMSP member record = %+v, %v", taxMember, err)
	}
	tax := connectProfile(t, net, net.Layout.ProfileFile("TaxMSP"), "")
	tax.submit(nil, model.ChaincodeAsset, "DefineAssetType", canonical(t, &model.AssetTypeDefinition{
		Code: "tax-registration", Name: "涉税登记", Schema: `{"type":"object"}`, Issuers: []string{"TaxMSP"},
	}))

	ccBin2 := buildChaincodes(t, "1.1")
	timed("cc upgrade 1.1 (test channel)", func() error { return net.Upgrade(ctx, DeployOptions{Version: "1.1", BinDir: ccBin2}) })
	checkVersions(t, net, "kaiban-test", "1.1", 2)
	checkVersions(t, net, "kaiban", "1.0", 1)
	timed("establishment on kaiban-test", func() error {
		establishment(t, net, "kaiban-test", "t1")
		return nil
	})
	timed("cc promote", func() error { return net.Promote(ctx, "kaiban-test", "kaiban", nil) })
	checkVersions(t, net, "kaiban", "1.1", 2)
	timed("establishment on kaiban after promote", func() error {
		establishment(t, net, "kaiban", "a2")
		return nil
	})

	var peer, orderer string
	timed("node add peer", func() (err error) { peer, err = net.AddNode(ctx, "MarketMSP"); return err })
	timed("node add orderer", func() (err error) { orderer, err = net.AddNode(ctx, "OrdererMSP"); return err })
	timed("node remove orderer0", func() error { return net.RemoveNode(ctx, "orderer0.orderer.kaiban.local") })
	timed("node remove peer", func() error { return net.RemoveNode(ctx, peer) })
	timed("establishment after node changes", func() error {
		establishment(t, net, "kaiban", "a3")
		return nil
	})

	var st *Status
	timed("status", func() (err error) { st, err = net.Status(ctx); return err })
	var report bytes.Buffer
	st.Format(&report)
	t.Logf("status:\n%s", report.String())
	for _, ns := range st.Nodes {
		if !ns.Healthy || ns.Version == "" {
			t.Errorf("%s: healthy %v, version %q", ns.Name, ns.Healthy, ns.Version)
		}
		if ns.Name == orderer && !strings.HasPrefix(ns.Roles["kaiban"], "consenter/active") {
			t.Errorf("new orderer %s on kaiban: %q", orderer, ns.Roles["kaiban"])
		}
	}

	timed("down", func() error { return net.Down(ctx, false) })
	timed("up again", func() error { return net.Up(ctx) })
	timed("establishment after restart", func() error {
		establishment(t, net, "kaiban", "a4")
		return nil
	})
}

// channelHeights returns the height of each channel: the highest any peer
// has (peers of other organisations may be a block behind for a moment).
func channelHeights(t *testing.T, n *Network) map[string]uint64 {
	t.Helper()
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, ns := range st.Nodes {
		if ns.Kind == "peer" {
			for ch, h := range ns.Heights {
				out[ch] = max(out[ch], h)
			}
		}
	}
	return out
}

// checkVersions checks every chaincode's committed version and sequence.
func checkVersions(t *testing.T, n *Network, channel, version string, sequence int64) {
	t.Helper()
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range st.Channels {
		if cs.Name != channel {
			continue
		}
		if len(cs.Chaincodes) != 4 {
			t.Errorf("%s: %d chaincodes committed (%s)", channel, len(cs.Chaincodes), cs.Error)
		}
		for _, cc := range cs.Chaincodes {
			if cc.Version != version || cc.Sequence != sequence {
				t.Errorf("%s on %s: version %s sequence %d, want %s sequence %d", cc.Name, channel, cc.Version, cc.Sequence, version, sequence)
			}
		}
	}
}

// TestFabric_SmartBFT runs a SmartBFT ordering service (Fabric 3): four
// consenters, the chaincodes deployed, a consenter added and one removed,
// and transactions ordered before and after.
func TestFabric_SmartBFT(t *testing.T) {
	requireFabric(t)
	ccBin := buildChaincodes(t, "1.0")
	ctx := context.Background()
	net, err := Init(filepath.Join(t.TempDir(), "bft"), consortium.Options{
		BasePort:     28000,
		Consensus:    consortium.BFT,
		Departments:  []string{model.DeptMarket, model.DeptSeal},
		BatchTimeout: 200 * time.Millisecond,
	}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Down(context.Background(), false); err != nil {
			t.Errorf("down: %v", err)
		}
		net.Close()
	})
	start := time.Now()
	if err := net.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := net.CreateChannels(ctx, "kaiban"); err != nil {
		t.Fatal(err)
	}
	if err := net.Deploy(ctx, DeployOptions{Channels: []string{"kaiban"}, Version: "1.0", BinDir: ccBin}); err != nil {
		t.Fatal(err)
	}
	t.Logf("TIMING BFT up + channel + deploy %s", time.Since(start).Round(time.Millisecond))
	if v := establishment(t, net, "kaiban", "b1"); stepStatus(v, model.DeptMarket) != model.StepApproved {
		t.Errorf("market step on BFT = %s", stepStatus(v, model.DeptMarket))
	}
	start = time.Now()
	if _, err := net.AddNode(ctx, "OrdererMSP"); err != nil {
		t.Fatal(err)
	}
	if err := net.RemoveNode(ctx, "orderer1.orderer.kaiban.local"); err != nil {
		t.Fatal(err)
	}
	t.Logf("TIMING BFT consenter add + remove %s", time.Since(start).Round(time.Millisecond))
	if v := establishment(t, net, "kaiban", "b2"); stepStatus(v, model.DeptMarket) != model.StepApproved {
		t.Errorf("market step after consenter changes = %s", stepStatus(v, model.DeptMarket))
	}
}
