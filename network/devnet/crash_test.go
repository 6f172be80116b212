package devnet_test

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// TestCrash_KillUnderLoad runs kaiban-net devnet as a child process under the
// load of 16 clients issuing assets, kills it with SIGKILL at random moments,
// and after each kill checks with `kaiban-net devnet verify` that the chain
// re-hashes and the state equals its replay, then restarts it and checks that
// every transaction a client saw committed is in the ledger with the same
// block and code. 20 kills, or 3 with -short.
func TestCrash_KillUnderLoad(t *testing.T) {
	kills := 20
	if testing.Short() {
		kills = 3
	}
	const clients = 16
	dir := t.TempDir()
	layout := cryptogen.Layout{Dir: filepath.Join(dir, "crypto")}
	args := []string{"--batch-timeout", "50ms", "--batch-size", "20"}

	proc := startProcess(t, dir, args...)
	conn := dialAddr(t, proc.addr)
	k := setupKaiban(t, conn, layout)
	conn.Close()

	type committed struct {
		status  *client.Status
		request []byte
	}
	seen := map[string]committed{} // every commit a client was told of
	var mu sync.Mutex
	licences := k.issuer(t)
	for round := range kills {
		k.conn = dialAddr(t, proc.addr)
		// The same licences, numbered on, through the new connection.
		licences.Assets = k.issuer(t).Assets
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					st, request, err := licences.Issue(ctx)
					if err != nil {
						continue // the process died under the call: the client saw no commit
					}
					mu.Lock()
					seen[st.TransactionID] = committed{st, request}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		proc.kill()
		cancel()
		wg.Wait()
		k.conn.Close()

		out, err := exec.Command(kaibanNet(t), "devnet", "verify", "--data", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: verify after SIGKILL: %v\n%s", round, err, out)
		}
		proc = startProcess(t, dir, args...)
		if proc.ready > time.Second {
			t.Errorf("round %d: restart took %s, want under 1s", round, proc.ready)
		}
		// Ask the restarted network about every transaction a client saw committed.
		k.conn = dialAddr(t, proc.addr)
		gw := k.gateway(t)
		for id, c := range seen {
			commit, err := gw.NewCommit(c.request)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, err := commit.StatusWithContext(ctx)
			cancel()
			if err != nil {
				t.Fatalf("round %d: tx %s, committed in block %d before the kill, is unknown after restart: %v", round, id, c.status.BlockNumber, err)
			}
			if st.BlockNumber != c.status.BlockNumber || st.Code != c.status.Code {
				t.Fatalf("round %d: tx %s was %s in block %d, now %s in block %d", round, id, c.status.Code, c.status.BlockNumber, st.Code, st.BlockNumber)
			}
		}
		k.conn.Close()
	}
	proc.stop(t)
	if len(seen) < kills {
		t.Fatalf("only %d transactions committed over %d rounds", len(seen), kills)
	}
	t.Logf("%d kills, %d transactions seen committed, all present after each restart", kills, len(seen))
}

func dialAddr(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
