package httpapi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// The load benchmarks measure the API as clients see it: a real HTTP server
// on loopback, keep-alive clients, 1, 16 and 64 of them at once, each
// request timed, and a bare Gin handler in the same run for comparison.
// Each reports req/s and the 50th and 99th percentile latency:
//
//	cd services && go test -run '^$' -bench Load -benchtime 20000x ./internal/httpapi
//
// (at 20000x, the rate=2000 case lasts 10 s).
//
// The server logs every request as production does (JSON lines written to
// /dev/null through the file system, not to an in-memory discard), records
// metrics, and applies the rate limiter (set high enough never to refuse).

// loadLevels are the numbers of concurrent clients.
var loadLevels = []int{1, 16, 64}

// request makes the i-th request of a load run.
type request func(i int) (*http.Request, error)

// loadRun sends b.N requests from clients goroutines, each with its own
// keep-alive connection, and reports throughput and latency percentiles. A
// response other than want fails the benchmark. With rate > 0 the load is
// open: request i is due at start + i/rate whether or not earlier ones have
// been answered, and its latency counts from when it was due if it is sent
// late, so a server that falls behind shows it (no coordinated omission);
// clients then only bounds the requests in flight.
func loadRun(b *testing.B, clients int, rate float64, want int, next request, pg *pgxpool.Pool) {
	b.Helper()
	cpu := startCPU(b, pg)
	b.ResetTimer()
	lat, elapsed, err := drive(b.N, clients, rate, want, next)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	cpu.report(b, b.N)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[b.N*50/100].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(b.N*99/100, b.N-1)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // wall time per request across clients says nothing here
}

// drive sends n requests as loadRun describes and returns their latencies,
// sorted, and the run's duration.
func drive(n, clients int, rate float64, want int, next request) ([]time.Duration, time.Duration, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	lat := make([]time.Duration, n)
	var idx atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(idx.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				req, err := next(i)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				t0 := time.Now()
				if rate > 0 {
					// A request sent late because this client was still
					// waiting for the server counts from when it was due; a
					// timer that wakes the client late is not the server's doing.
					due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if t0.Before(due) {
						time.Sleep(due.Sub(t0))
						t0 = time.Now()
					} else {
						t0 = due
					}
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != want {
					failed.Store(fmt.Sprintf("status %d, want %d: %s", resp.StatusCode, want, body))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f != nil {
		return nil, 0, errors.New(f.(string))
	}
	slices.Sort(lat)
	return lat, elapsed, nil
}

// loadCases runs a GET at every concurrency level, then at targetRate
// requests per second (open load, up to 64 in flight).
func loadCases(b *testing.B, url string) {
	for _, n := range loadLevels {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { loadRun(b, n, 0, 200, get(url), nil) })
	}
	b.Run(fmt.Sprintf("rate=%d", targetRate), func(b *testing.B) { loadRun(b, 64, targetRate, 200, get(url), nil) })
}

// targetRate is the GET target: p99 under 5 ms at 2,000 req/s.
const targetRate = 2000

// serveLoopback serves h on a loopback TCP port for the benchmark.
func serveLoopback(b *testing.B, h http.Handler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv.URL
}

// devNullLogger logs JSON lines to /dev/null: the encoding and the write
// system call of every line are paid, as in production.
func devNullLogger(b *testing.B) *slog.Logger {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return slog.New(slog.NewJSONHandler(f, nil))
}

func get(url string) request {
	return func(int) (*http.Request, error) { return http.NewRequest(http.MethodGet, url, nil) }
}

// identityServer is the API as `kaiban serve api` builds it for the
// identity operations: identity and audit on a fresh PostgreSQL database,
// the authenticator, RBAC from the contract, the audit middleware.
func identityServer(b *testing.B) loadTarget {
	b.Helper()
	pool := loadPool(b)
	names, err := pii.New(1, key32(1), nil)
	if err != nil {
		b.Fatal(err)
	}
	lg, err := audit.New(pool, key32(2))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(lg.Close)
	id, err := identity.New(pool, names, identity.Config{SecretKey: key32(3)}, identity.WithRecorder(lg), identity.WithCache())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(id.Close)
	if err := id.WaitCache(b.Context()); err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Logger: devNullLogger(b), RateLimit: 1e9, RateBurst: 1e9,
		Security: SecurityOptions{Identity: id, Audit: lg, CookieSecure: true}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	u, pw, err := id.CreateAdmin(ctx, "bench-sysadmin", "管理员", identity.RoleSystemAdmin, true)
	if err != nil {
		b.Fatal(err)
	}
	sess, err := id.Login(ctx, identity.LoginRequest{Login: "bench-sysadmin", Password: pw, Source: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := id.Authenticate(ctx, sess.Token)
	if err != nil {
		b.Fatal(err)
	}
	if sess, err = id.ChangePassword(ctx, p, pw, "Bench-Password-2026"); err != nil {
		b.Fatal(err)
	}
	return loadTarget{url: serveLoopback(b, s.Handler()), handler: s.Handler(), token: sess.Token, userID: u.ID, pool: pool}
}

// loadConns is the size of the server's connection pool (-load.conns);
// 0 is pgx's default, as in production (database.maxConns 0): 4 or the
// number of CPUs, whichever is more.
var loadConns = flag.Int("load.conns", 0, "connections in the load benchmarks' pool (0: pgx's default)")

// loadPool is a fresh database with a pool of -load.conns connections.
func loadPool(b *testing.B) *pgxpool.Pool {
	base := pgtest.New(b)
	if *loadConns == 0 {
		return base
	}
	cfg, err := pgxpool.ParseConfig(pgtest.URL(b, base))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(*loadConns)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// loadTarget is a server under load: its URL, a system administrator's
// bearer token and user ID, its handler, and its database (whose backends' CPU the
// benchmark reports).
type loadTarget struct {
	url, token, userID string
	handler            http.Handler
	pool               *pgxpool.Pool
}

// BenchmarkLoad_GetUser is a GET by ID of the domain: GET
// /api/v1/users/{id} as a signed-in system administrator — the session
// looked up, the permission checked, the user read from PostgreSQL and its
// sealed name opened with SM4 and masked, the read queued for the audit log.
func BenchmarkLoad_GetUser(b *testing.B) {
	t := identityServer(b)
	next := func(int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, t.url+"/api/v1/users/"+t.userID, nil)
		req.Header.Set("Authorization", "Bearer "+t.token)
		return req, err
	}
	for _, n := range loadLevels {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { loadRun(b, n, 0, 200, next, t.pool) })
	}
	b.Run(fmt.Sprintf("rate=%d", targetRate), func(b *testing.B) { loadRun(b, 64, targetRate, 200, next, t.pool) })
}

// BenchmarkLoad_CreateDepartment is a write: POST /api/v1/departments as a
// system administrator — validated against the contract, inserted in
// PostgreSQL, and answered only once its audit record has committed.
func BenchmarkLoad_CreateDepartment(b *testing.B) {
	t := identityServer(b)
	var seq atomic.Int64
	next := func(int) (*http.Request, error) {
		body := fmt.Sprintf(`{"code":"bench-%d","name":"基准部门 %d","kind":"other"}`, seq.Add(1), seq.Load())
		req, err := http.NewRequest(http.MethodPost, t.url+"/api/v1/departments", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+t.token)
		req.Header.Set("Content-Type", "application/json")
		return req, err
	}
	for _, n := range loadLevels {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { loadRun(b, n, 0, 201, next, t.pool) })
	}
}

// BenchmarkLoad_BareGin is the baseline: a Gin engine with no middleware
// answering the same JSON document as /api/v1/version.
func BenchmarkLoad_BareGin(b *testing.B) {
	loadCases(b, serveLoopback(b, bareGin())+"/api/v1/version")
}

func bareGin() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	v := api.Version{Version: "dev", GoVersion: "go", Api: "0.1.0"}
	e.GET("/api/v1/version", func(c *gin.Context) { c.JSON(http.StatusOK, v) })
	return e
}

// BenchmarkLoad_RatioToBareGin is the headline figure — the GET by
// ID's req/s as a share of a bare Gin handler's — measured so that the
// machine's other work weighs on both alike: the two alternate in ten short
// rounds of b.N/10 requests from 16 clients, and the median of the rounds'
// ratios is reported (ratio-%), with the median req/s of each and their CPU
// per request (process; PostgreSQL for the GET).
//
//	cd services && go test -run '^$' -bench RatioToBareGin -benchtime 40000x ./internal/httpapi
func BenchmarkLoad_RatioToBareGin(b *testing.B) {
	t := identityServer(b)
	bare := get(serveLoopback(b, bareGin()) + "/api/v1/version")
	user := func(int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, t.url+"/api/v1/users/"+t.userID, nil)
		req.Header.Set("Authorization", "Bearer "+t.token)
		return req, err
	}
	const rounds, clients = 10, 16
	per := max(b.N/rounds, 100)
	var ratio, userRPS, bareRPS, userCPU, userPG, bareCPU []float64
	run := func(next request, pool *pgxpool.Pool) (rps, cpu, pg float64) {
		self := selfCPU()
		var before map[int]time.Duration
		if pool != nil {
			before = backendCPU(b, pool)
		}
		_, elapsed, err := drive(per, clients, 0, 200, next)
		if err != nil {
			b.Fatal(err)
		}
		cpu = float64((selfCPU() - self).Microseconds()) / float64(per)
		if pool != nil {
			var d time.Duration
			for pid, c := range backendCPU(b, pool) {
				d += c - before[pid]
			}
			pg = float64(d.Microseconds()) / float64(per)
		}
		return float64(per) / elapsed.Seconds(), cpu, pg
	}
	b.ResetTimer()
	for range rounds {
		u, uc, upg := run(user, t.pool)
		g, gc, _ := run(bare, nil)
		ratio, userRPS, bareRPS = append(ratio, 100*u/g), append(userRPS, u), append(bareRPS, g)
		userCPU, userPG, bareCPU = append(userCPU, uc), append(userPG, upg), append(bareCPU, gc)
	}
	b.StopTimer()
	b.ReportMetric(median(ratio), "ratio-%")
	b.ReportMetric(median(userRPS), "get-req/s")
	b.ReportMetric(median(bareRPS), "bare-req/s")
	b.ReportMetric(median(userCPU), "get-cpu-µs/req")
	b.ReportMetric(median(userPG), "get-pg-µs/req")
	b.ReportMetric(median(bareCPU), "bare-cpu-µs/req")
	b.ReportMetric(0, "ns/op")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkLoad_Version is GET /api/v1/version through everything a request
// passes: request ID, access log, metrics, recovery, operation lookup, rate
// limit and contract validation.
func BenchmarkLoad_Version(b *testing.B) {
	s, err := New(Options{Logger: devNullLogger(b), RateLimit: 1e9, RateBurst: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	loadCases(b, serveLoopback(b, s.Handler())+"/api/v1/version")
}

// BenchmarkGetUser_InProcess is the GET by ID's server side alone, without
// a network or a load generator: the handler served into a recorder, one
// request at a time. Its allocs/op is the steadiest measure of the request
// path's cost on a shared machine (the audit writer's allocations, on its
// own goroutine, count too).
//
//	cd services && go test -run '^$' -bench GetUser_InProcess -benchmem ./internal/httpapi
func BenchmarkGetUser_InProcess(b *testing.B) {
	t := identityServer(b)
	h := t.handler
	req := httptest.NewRequest(http.MethodGet, "/api/v1/users/"+t.userID, nil)
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.RemoteAddr = "127.0.0.1:40000"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
