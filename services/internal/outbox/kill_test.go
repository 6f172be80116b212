package outbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"google.golang.org/grpc"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
)

// childEnv names the file with a childSpec; when set, the test binary runs as
// the child process of the kill test instead of running tests.
const childEnv = "KAIBAN_OUTBOX_KILL_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runChild(path))
	}
	os.Exit(m.Run())
}

// childSpec tells a child process what to be.
type childSpec struct {
	// Mode is accept (answer requests, work no jobs), stored (work jobs and
	// stop each attempt after storing its endorsed transaction), sent (work
	// jobs and stop each attempt once the orderer accepted the transaction)
	// or work (work jobs).
	Mode        string
	DatabaseURL string
	Chain       chain.Config
	Access      *chaintest.CodeAccess
}

// runChild is a small service: POST /requests?key=K records a business row
// and, in the same transaction, the chain write it needs (an access record
// under an authorization code, with the code in transient data), then
// answers 201. It prints "LISTEN addr" when it serves, and "STORED" or "SENT"
// when an attempt reaches the point where its mode stops it.
func runChild(path string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	raw, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	var spec childSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	pool, err := postgres.Open(ctx, spec.DatabaseURL)
	if err != nil {
		return fail(err)
	}
	var opts []chain.Option
	if spec.Mode == "sent" {
		opts = append(opts, chain.WithDialOptions(grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, o...)
			if method == "/gateway.Gateway/Submit" && err == nil {
				fmt.Println("SENT")
				select {}
			}
			return err
		})))
	}
	c, err := chain.Connect(spec.Chain, opts...)
	if err != nil {
		return fail(err)
	}
	ob, err := outbox.New(pool, c, outbox.Config{Key: testKey, RetryBase: 100 * time.Millisecond, JobTimeout: 3 * time.Second})
	if err != nil {
		return fail(err)
	}
	if spec.Mode == "stored" {
		outbox.SetAfterStore(ob, func(int64) {
			fmt.Println("STORED")
			select {}
		})
	}
	if spec.Mode != "accept" {
		workers := river.NewWorkers()
		ob.Register(workers)
		rc, err := jobs.NewClient(pool, workers, jobs.Config{
			Queues: map[string]int{outbox.Queue: 2}, RescueAfter: 4 * time.Second, FetchPollInterval: 50 * time.Millisecond,
		})
		if err != nil {
			return fail(err)
		}
		if err := rc.Start(ctx); err != nil {
			return fail(err)
		}
	}
	http.HandleFunc("POST /requests", func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		tx, err := pool.Begin(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer tx.Rollback(r.Context())
		if _, err := tx.Exec(r.Context(), "INSERT INTO kill_requests (key) VALUES ($1)", key); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := ob.Enqueue(r.Context(), tx, outbox.Write{
			Key: "access/" + key, Identity: chaintest.Market, Chaincode: model.ChaincodeAuthorization, Function: "RecordAccess",
			Args: spec.Access.Args(key), Transient: spec.Access.Transient(),
		}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tx.Commit(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	fmt.Println("LISTEN", lis.Addr())
	return fail(http.Serve(lis, nil))
}

// child is a running child process.
type child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
}

func startChild(t *testing.T, spec childSpec) *child {
	t.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), lines: make(chan string, 16), stderr: new(bytes.Buffer)}
	c.cmd.Env = append(os.Environ(), childEnv+"="+path)
	c.cmd.Stderr = c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(c.kill)
	return c
}

// await returns the first line starting with prefix.
func (c *child) await(t *testing.T, prefix string, within time.Duration) string {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited before %q; stderr:\n%s", prefix, c.stderr)
			}
			if strings.HasPrefix(line, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(line, prefix))
			}
		case <-timeout:
			t.Fatalf("child did not say %q within %s; stderr:\n%s", prefix, within, c.stderr)
		}
	}
}

// kill sends SIGKILL and reaps the process.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}

// TestKill_AcceptedWriteReachesChainOnce_Devnet is the kill test of issue #4:
// a service process accepts a request (business row and outbox row in one
// transaction, 201), is killed with SIGKILL, and a restarted process brings
// the write to the chain exactly once. The write is RecordAccess under an
// authorization code, which is not idempotent (its record's ID is the
// transaction's), so a write applied twice would show as two records. The
// process dies at three points:
//
//   - accept: right after answering, before any attempt;
//   - stored: after endorsing and storing the transaction, before sending it;
//   - sent: after the orderer accepted the transaction, before its commit
//     status came back — the write reaches the chain while the process is
//     dead, and the restarted one must not write it again.
func TestKill_AcceptedWriteReachesChainOnce_Devnet(t *testing.T) {
	pool := migrated(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE kill_requests (key text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	n := chaintest.Start(t, chaintest.Options{})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)
	access, err := k.IssueCodeAccess(ctx, c, "kill")
	if err != nil {
		t.Fatal(err)
	}
	spec := childSpec{DatabaseURL: pgtest.URL(t, pool), Chain: n.Config, Access: access}
	ob, err := outbox.New(pool, nil, outbox.Config{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	records := func(reason string) int {
		got, err := access.Records(ctx, c, reason)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	for _, mode := range []string{"accept", "stored", "sent"} {
		t.Run(mode, func(t *testing.T) {
			key := "kill-" + mode
			spec.Mode = mode
			p := startChild(t, spec)
			addr := p.await(t, "LISTEN", 30*time.Second)
			resp, err := http.Post("http://"+addr+"/requests?key="+key, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("request answered %s", resp.Status)
			}
			switch mode {
			case "stored":
				p.await(t, "STORED", 30*time.Second)
			case "sent":
				p.await(t, "SENT", 30*time.Second)
			}
			p.kill()

			var rows int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM kill_requests WHERE key = $1", key).Scan(&rows); err != nil || rows != 1 {
				t.Fatalf("business rows after the kill: %d, %v", rows, err)
			}
			before, err := ob.Get(ctx, "access/"+key)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]outbox.Status{"accept": outbox.StatusPending, "stored": outbox.StatusSubmitting, "sent": outbox.StatusSubmitting}[mode]
			if before.Status != want {
				t.Fatalf("after the kill the write is %s, want %s", before.Status, want)
			}
			if mode == "sent" {
				// The orderer had the transaction: it commits without the process.
				deadline := time.Now().Add(10 * time.Second)
				for records(key) != 1 && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
			}
			onChain := records(key)
			if wantOnChain := map[string]int{"accept": 0, "stored": 0, "sent": 1}[mode]; onChain != wantOnChain {
				t.Fatalf("%d records on chain while the process is dead, want %d", onChain, wantOnChain)
			}

			start := time.Now()
			spec.Mode = "work"
			restarted := startChild(t, spec)
			restarted.await(t, "LISTEN", 30*time.Second)
			got := finished(t, ob, "access/"+key, 2*time.Minute)
			if got.Status != outbox.StatusDone {
				t.Fatalf("after the restart: %+v; stderr:\n%s", got, restarted.stderr)
			}
			if mode != "accept" && got.TxID != before.TxID {
				t.Fatalf("the restarted process committed tx %s, not the stored %s", got.TxID, before.TxID)
			}
			if n := records(key); n != 1 {
				t.Fatalf("%d records of the write on chain, want exactly 1", n)
			}
			t.Logf("%s: done %s after the restart, %d attempts, tx %s", mode, time.Since(start).Round(time.Millisecond), got.Attempts, got.TxID)
		})
	}
}
