package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// testEnv is an environment with only the given variables, and captured
// output.
func testEnv(vars map[string]string) (env, *bytes.Buffer, *bytes.Buffer) {
	var out, errs bytes.Buffer
	return env{stdout: &out, stderr: &errs, getenv: func(k string) string { return vars[k] }}, &out, &errs
}

func TestRun_UsageErrors(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		want   string
	}{
		{nil, 2, "usage: kaiban"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve"}, 1, "kaiban serve needs database.url"},
		{[]string{"serve", "nope"}, 2, `unknown service "nope"`},
		{[]string{"migrate", "down"}, 2, `unknown subcommand "down"`},
		{[]string{"dev", "--http-listen", "nonsense"}, 1, "http.listen"},
		{[]string{"serve", "api"}, 1, "kaiban serve api needs database.url"},
		{[]string{"serve", "worker", "--database-url", "postgres://h/db"}, 1, "kaiban serve worker needs chain.endpoint"},
	}
	for _, tc := range cases {
		e, _, errs := testEnv(nil)
		if got := run(context.Background(), tc.args, e); got != tc.status {
			t.Errorf("%v: status %d, want %d (%s)", tc.args, got, tc.status, errs)
		}
		if !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errs, tc.want)
		}
	}
}

func TestRun_VersionAndHelp(t *testing.T) {
	e, out, _ := testEnv(nil)
	if run(context.Background(), []string{"version"}, e) != 0 || !strings.HasPrefix(out.String(), "kaiban dev go1.") {
		t.Fatalf("version: %q", out)
	}
	e, out, _ = testEnv(nil)
	if run(context.Background(), []string{"help", "config"}, e) != 0 || !strings.Contains(out.String(), "--database-url") {
		t.Fatalf("help config: %q", out)
	}
	e, out, _ = testEnv(nil)
	if run(context.Background(), []string{"dev", "--help"}, e) != 0 || !strings.Contains(out.String(), "KAIBAN_HTTP_LISTEN") {
		t.Fatalf("dev --help: %q", out)
	}
}

func TestMigrate_UpAndStatusIntegration(t *testing.T) {
	pool := pgtest.NewEmpty(t)
	url := pgtest.URL(t, pool)
	e, out, errs := testEnv(map[string]string{"DATABASE_URL": url})
	if st := run(context.Background(), []string{"migrate", "status"}, e); st != 0 {
		t.Fatalf("status: %d %s", st, errs)
	}
	if !strings.Contains(out.String(), "pending  00001_platform.sql") || strings.Contains(out.String(), "applied") {
		t.Fatalf("status of an empty database:\n%s", out)
	}
	e, out, errs = testEnv(map[string]string{"DATABASE_URL": url})
	if st := run(context.Background(), []string{"migrate"}, e); st != 0 {
		t.Fatalf("up: %d %s", st, errs)
	}
	if !strings.Contains(out.String(), "applied  00001_platform.sql") || strings.Contains(out.String(), "pending") {
		t.Fatalf("after up:\n%s", out)
	}
	var river bool
	if err := pool.QueryRow(context.Background(), "SELECT to_regclass('river_job') IS NOT NULL").Scan(&river); err != nil || !river {
		t.Fatalf("River's schema not migrated: %v", err)
	}
}

// started runs a kaiban command in-process until the test ends and returns
// the base URL it printed for label, and its output.
func started(t *testing.T, args []string, vars map[string]string, label string) (string, *syncBuffer) {
	t.Helper()
	base, errs, stop := startedUntil(t, args, vars, label)
	t.Cleanup(stop)
	return base, errs
}

// startedUntil is started with the stop in the caller's hands (a restart);
// stop cancels the command and checks that it ended cleanly.
func startedUntil(t *testing.T, args []string, vars map[string]string, label string) (string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, env{stdout: pw, stderr: &errs, getenv: func(k string) string { return vars[k] }})
		pw.Close()
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case st := <-done:
				if st != 0 {
					t.Errorf("%v exited %d after cancel:\n%s", args, st, errs.String())
				}
			case <-time.After(60 * time.Second):
				t.Errorf("%v did not stop within 60s of cancel", args)
			}
		})
	}
	re := regexp.MustCompile(`^\s+` + label + `\s+(http://[^/\s]+)`)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			errs.Write([]byte(sc.Text() + "\n")) // the output too, for the tests that read the summary
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				stop()
				t.Fatalf("%v ended before printing %s:\n%s", args, label, errs.String())
			}
			if m := re.FindStringSubmatch(line); m != nil {
				go func() { // keep draining stdout
					for range lines {
					}
				}()
				return m[1], &errs, stop
			}
		case <-timeout:
			stop()
			t.Fatalf("%v printed no %s within 2 minutes:\n%s", args, label, errs.String())
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDev_SmokeIntegration starts `kaiban dev` in-process on free ports with
// a fresh, empty database and checks that it migrated it, serves the probes
// and the docs with every dependency ready, and runs worker and listener.
func TestDev_SmokeIntegration(t *testing.T) {
	pool := pgtest.NewEmpty(t)
	dir := t.TempDir()
	args := []string{"dev",
		"--http-listen", "127.0.0.1:0",
		"--chain-devnet-dir", filepath.Join(dir, "devnet"),
		"--chain-devnet-listen", "127.0.0.1:0",
		"--chain-devnet-ops", "-",
		"--objects-dir", filepath.Join(dir, "objects"),
		"--secrets-master-key-file", filepath.Join(dir, "master.key"),
		"--audit-anchor-every", "200ms",
	}
	base, errs := started(t, args, map[string]string{"DATABASE_URL": pgtest.URL(t, pool)}, "API")

	if st, body := get(t, base+"/healthz"); st != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", st, body)
	}
	if st, body := get(t, base+"/readyz"); st != 200 || !strings.Contains(body, `"chain":"ok"`) ||
		!strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"objects":"ok"`) {
		t.Fatalf("readyz: %d %s", st, body)
	}
	if st, body := get(t, base+"/docs"); st != 200 || !strings.Contains(body, "/api/v1/version") {
		t.Fatalf("docs: %d", st)
	}
	if st, body := get(t, base+"/api/v1/nope"); st != 404 || !strings.Contains(body, "urn:kaiban:problem:not-found") {
		t.Fatalf("404: %d %s", st, body)
	}
	var applied int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied); err != nil || applied == 0 {
		t.Fatalf("dev did not migrate the empty database: %d %v", applied, err)
	}
	if key, err := os.ReadFile(filepath.Join(dir, "master.key")); err != nil || len(strings.TrimSpace(string(key))) != 64 {
		t.Fatalf("master key file: %v %q", err, key)
	}
	// The calls above were audited, and the head of the audit log goes on
	// the devnet within a few anchoring intervals.
	var anchored int
	for deadline := time.Now().Add(30 * time.Second); anchored == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_anchors WHERE tx_id <> ''").Scan(&anchored); err != nil {
			t.Fatal(err)
		}
	}
	if anchored == 0 {
		t.Fatalf("the audit log's head was not anchored on chain:\n%s", errs.String())
	}
	if !strings.Contains(errs.String(), `"msg":"configuration"`) {
		t.Fatalf("the configuration was not logged at start:\n%s", errs.String())
	}

	// The services are wired to each other: a chain write enqueued in the
	// outbox (as a handler would) is submitted by the worker to the devnet,
	// and the listener projects its event back into PostgreSQL.
	key, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{}
	if p.master, err = hex.DecodeString(strings.TrimSpace(string(key))); err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(pool, nil, outbox.Config{Key: p.key("outbox", 16)})
	if err != nil {
		t.Fatal(err)
	}
	opKey, opPub, err := chaintest.SM2Key()
	if err != nil {
		t.Fatal(err)
	}
	app := model.MemberApplication{ID: "OperatorMSP", Name: "Kaiban chain operator", Kind: model.MemberOperator, PublicKey: opPub}
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Enqueue(ctx, tx, outbox.Write{
		Key: "smoke/bootstrap", Identity: "OperatorMSP/Admin", Chaincode: model.ChaincodeSubject,
		Function: "Bootstrap", Args: chaintest.Signed(opKey, subject.ActionBootstrap, &app),
	}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var status string
		err := pool.QueryRow(ctx, "SELECT status FROM ledger_members WHERE id = 'OperatorMSP'").Scan(&status)
		if err == nil && status == model.StatusActive {
			break
		}
		if time.Now().After(deadline) {
			e, _ := ob.Get(ctx, "smoke/bootstrap")
			t.Fatalf("the bootstrap did not reach the projection within 60s (outbox entry %+v, last read %v)", e, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServe_EachServiceIntegration runs `kaiban serve api`, `worker` and
// `listener` as production does: each in its own process (here: run),
// against a chain reached through a kaiban-net connection profile used as
// the configuration file, the worker and the listener with their own probes.
func TestServe_EachServiceIntegration(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	ccs, err := devnet.KaibanChaincodes()
	if err != nil {
		t.Fatal(err)
	}
	n, err := devnet.Start(devnet.Config{Dir: filepath.Join(dir, "devnet"), Listen: "127.0.0.1:0", OpsListen: "-", TLS: true, Chaincodes: ccs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	// The chain section as kaiban-net writes it into connection/<MSPID>.yaml.
	cc, err := chain.DevnetConfig(filepath.Join(dir, "devnet"), n.Addr(), true)
	if err != nil {
		t.Fatal(err)
	}
	op := cc.Orgs[0]
	profile, err := yaml.Marshal(map[string]any{"chain": map[string]string{
		"channel": op.Channel, "endpoint": op.PeerEndpoint, "serverName": op.PeerHostOverride,
		"tlsRootCert": op.TLSRootCert, "mspId": op.MSPID, "cert": op.CertPath, "key": op.KeyPath,
	}})
	if err != nil {
		t.Fatal(err)
	}
	profilePath := filepath.Join(dir, "OperatorMSP.yaml")
	if err := os.WriteFile(profilePath, profile, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"KAIBAN_CONFIG":             profilePath,
		"DATABASE_URL":              pgtest.URL(t, pool),
		"KAIBAN_SECRETS_MASTER_KEY": strings.Repeat("5a", 32),
		"KAIBAN_OBJECTS_DIR":        filepath.Join(dir, "objects"),
	}
	api, _ := started(t, []string{"serve", "api", "--http-listen", "127.0.0.1:0"}, vars, "API")
	if st, body := get(t, api+"/readyz"); st != 200 || !strings.Contains(body, `"chain":"ok"`) {
		t.Fatalf("api readyz: %d %s", st, body)
	}
	// The demo accounts' published password is kaiban dev's only.
	var demoUsers int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM identity_users WHERE NOT must_change_password").Scan(&demoUsers); err != nil || demoUsers != 0 {
		t.Fatalf("kaiban serve seeded %d accounts without a forced password change (%v)", demoUsers, err)
	}
	ops, _ := started(t, []string{"serve", "worker", "--http-ops-listen", "127.0.0.1:0"}, vars, "probes")
	if st, body := get(t, ops+"/readyz"); st != 200 || strings.Contains(body, "objects") {
		t.Fatalf("worker readyz: %d %s", st, body)
	}
	if st, _ := get(t, ops+"/api/v1/version"); st != 404 {
		t.Fatalf("worker serves the API: %d", st)
	}
	if st, body := get(t, ops+"/metrics"); st != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("worker metrics: %d", st)
	}
	lops, _ := started(t, []string{"serve", "listener", "--http-ops-listen", "127.0.0.1:0"}, vars, "probes")
	if st, body := get(t, lops+"/readyz"); st != 200 || !strings.Contains(body, `"chain":"ok"`) {
		t.Fatalf("listener readyz: %d %s", st, body)
	}
}
