package devnet_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
	"github.com/kaiban-platform/kaiban/network/internal/putstate"
)

// anchorArgs give devnet the shape of issue #3's Fabric anchor: two peer
// organisations (majority endorsement = both) and TLS.
var anchorArgs = []string{"--orgs", "OperatorMSP,MarketMSP", "--tls"}

// startPutState runs devnet-putstate (kaiban-net devnet serving the anchor's
// one-PutState chaincode) in the anchor's shape with args and
// -devnet.args after them, and returns the process and the market
// department's client of the chaincode, over TLS.
func startPutState(b *testing.B, args ...string) (*devnetProcess, *loadtest.Puts) {
	b.Helper()
	dir := b.TempDir()
	bin := goBinary(b, "github.com/kaiban-platform/kaiban/network/internal/putstate/cmd/devnet-putstate")
	args = append(append(append([]string{}, anchorArgs...), args...), strings.Fields(*benchArgs)...)
	proc := startCommand(b, []string{bin}, dir, args...)
	b.Cleanup(func() { proc.stop(b) })

	layout := cryptogen.Layout{Dir: filepath.Join(dir, "crypto")}
	orgs := devnet.DefaultOrgs()
	operator, market := orgs[0], orgs[1]
	// devnet serves with the first organisation's peer0 TLS certificate.
	root, err := os.ReadFile(filepath.Join(layout.TLSCADir(operator), "tlsca."+operator.Domain+"-cert.pem"))
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(root)
	conn, err := grpc.NewClient(proc.addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, operator.NodeName(0))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	id, err := layout.User(market, "User1")
	if err != nil {
		b.Fatal(err)
	}
	gw := connectAs(b, conn, market.MSPID, id.Cert, id.Key)
	puts := &loadtest.Puts{Contract: gw.GetNetwork(devnet.DefaultChannel).GetContract(putstate.Name)}
	if err := puts.PutCommitted(b.Context()); err != nil {
		b.Fatalf("first put: %v", err)
	}
	return proc, puts
}

// BenchmarkDevnet_PutState is kaibannet's BenchmarkFabric_PutState on
// devnet: the literal anchor of issue #3 — a chaincode doing one PutState
// per transaction, two organisations, majority endorsement, TLS — under
// clients that each put a new key and wait for its commit, through the same
// driver (internal/loadtest). It runs at a batch timeout of 100 ms, as
// BenchmarkDevnet_Issue does, and at the anchor's 200 ms, and reports what
// BenchmarkDevnet_Issue reports. 512 clients, past the anchor's 256, show
// the rate once the cores rather than the clients' wait for the batch
// timeout bound it. Run:
//
//	go test -run '^$' -bench Devnet_PutState -benchtime 1x ./devnet/
func BenchmarkDevnet_PutState(b *testing.B) {
	for _, timeout := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		for _, clients := range []int{16, 64, 256, 512} {
			b.Run(fmt.Sprintf("timeout=%s/size=500/clients=%d", timeout, clients), func(b *testing.B) {
				proc, puts := startPutState(b, "--batch-timeout", timeout.String(), "--batch-size", "500")
				proc.measure(b, clients, puts.PutCommitted, "tx")
			})
		}
	}
}

// BenchmarkDevnet_GetState measures evaluations per second of the
// anchor's read by 64 concurrent clients, as kaibannet's
// BenchmarkFabric_GetState does on real Fabric.
func BenchmarkDevnet_GetState(b *testing.B) {
	proc, puts := startPutState(b)
	proc.measure(b, 64, puts.Get, "op")
}

// measure drives op from clients concurrent clients for -devnet.duration
// and reports what loadtest reports, the devnet process's peak RSS and, per
// operation (unit), its CPU time and the clients'.
func (proc *devnetProcess) measure(b *testing.B, clients int, op func(context.Context) error, unit string) {
	b.Helper()
	cpu0, self0 := proc.cpuTime(), loadtest.SelfCPU()
	b.ResetTimer()
	res := loadtest.Run(clients, *benchDuration, op)
	b.StopTimer()
	res.Report(b)
	n := float64(len(res.Latencies))
	b.ReportMetric(float64(proc.peakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64((proc.cpuTime()-cpu0).Microseconds())/n, "devnet-CPU-µs/"+unit)
	b.ReportMetric(float64((loadtest.SelfCPU()-self0).Microseconds())/n, "client-CPU-µs/"+unit)
}
