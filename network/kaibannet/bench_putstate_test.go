package kaibannet

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
	"github.com/kaiban-platform/kaiban/network/internal/putstate"
)

// buildPutState builds the putstate chaincode server into a temporary
// directory.
func buildPutState(b *testing.B) string {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(b.TempDir(), "cc")
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./internal/putstate/cmd/putstate")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build putstate chaincode: %v\n%s", err, out)
	}
	return dir
}

// startPutState brings up the anchor network with the putstate chaincode
// as its only chaincode and returns the market department's client of it,
// one key written.
func startPutState(b *testing.B, ccBin string, basePort int) (*anchor, *loadtest.Puts) {
	b.Helper()
	a := startAnchor(b, ccBin, basePort, putstate.Name)
	market := connectProfile(b, a.net, a.net.Layout.ProfileFile("MarketMSP"), "")
	puts := &loadtest.Puts{Contract: market.gw.GetNetwork(a.channel).GetContract(putstate.Name)}
	if err := puts.PutCommitted(context.Background()); err != nil {
		b.Fatalf("first put: %v", err)
	}
	return a, puts
}

// BenchmarkFabric_PutState measures issue #3's anchor literally: real
// Fabric from FABRIC_BIN in the anchor's shape, a Go chaincode as a service
// doing one PutState per transaction (internal/putstate), clients that each
// put a new key through the fabric-gateway client and wait for its commit.
// devnet's BenchmarkDevnet_PutState runs the same chaincode and load. A fresh
// network per configuration; each reports what BenchmarkFabric_Issue
// reports; 512 clients, past the anchor's 256, as devnet's benchmark runs.
// Run:
//
//	FABRIC_BIN=/path/to/fabric/bin go test -run '^$' -bench Fabric_PutState -benchtime 1x ./kaibannet/
func BenchmarkFabric_PutState(b *testing.B) {
	requireFabric(b)
	ccBin := buildPutState(b)
	for i, clients := range []int{16, 64, 256, 512} {
		b.Run(fmt.Sprintf("timeout=%s/size=500/clients=%d", *anchorTimeout, clients), func(b *testing.B) {
			a, puts := startPutState(b, ccBin, 29400+40*i)
			a.run(b, clients, puts.PutCommitted, "tx")
		})
	}
}

// BenchmarkFabric_GetState measures evaluations per second of the anchor's
// read by 64 concurrent clients, as devnet's BenchmarkDevnet_GetState does.
func BenchmarkFabric_GetState(b *testing.B) {
	requireFabric(b)
	a, puts := startPutState(b, buildPutState(b), 29600)
	a.run(b, 64, puts.Get, "op")
}
