package kaibannet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// requireFabric skips the test unless FABRIC_BIN (or the PATH) holds peer
// and orderer.
func requireFabric(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: runs a real Fabric network")
	}
	for _, b := range []string{"peer", "orderer"} {
		if _, err := fabricproc.FindBinary(b); err != nil {
			t.Skipf("real Fabric test skipped: %v.\nTo run it, download the Fabric 3.1 binaries "+
				"(see docs/kaiban-net.md, \"Getting Fabric\") and run: FABRIC_BIN=/path/to/fabric/bin go test ./kaibannet -run Fabric -v", err)
		}
	}
}

// buildChaincodes builds the four chaincode binaries into a temporary directory.
func buildChaincodes(t *testing.T, version string) string {
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

func TestFabric_AnnexA(t *testing.T) {
	requireFabric(t)
	ccBin := buildChaincodes(t, "1.0")
	dir := filepath.Join(t.TempDir(), "net")
	if keep := os.Getenv("KAIBAN_NET_TEST_DIR"); keep != "" {
		// Keeps the network's directory (logs, ledgers) for a look afterwards.
		dir = keep
	}
	ctx := context.Background()
	timings := map[string]time.Duration{}
	timed := func(name string, fn func() error) {
		t.Helper()
		start := time.Now()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		timings[name] = time.Since(start)
		t.Logf("%s: %s", name, timings[name].Round(time.Millisecond))
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
	timed("cc deploy", func() error {
		return net.Deploy(ctx, DeployOptions{Version: "1.0", BinDir: ccBin})
	})
}
