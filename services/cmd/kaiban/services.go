package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sort"

	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/portal"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
)

// service is one of the services a kaiban process runs: `kaiban dev` runs
// them all, `kaiban serve NAME` one.
type service struct {
	name    string
	summary string
	// open prepares the service on the platform (binds its listener, makes
	// its clients) without running it yet.
	open func(ctx context.Context, p *platform) (*running, error)
	// checks are what its /readyz checks.
	checks func(p *platform) []httpapi.Check
}

// running is an opened service: run blocks until ctx ends, then stops the
// service gracefully within http.shutdownTimeout.
type running struct {
	run func(ctx context.Context) error
}

var services = []service{
	{
		name:    "api",
		summary: "the REST API with /docs, /metrics, /healthz and /readyz, on http.listen",
		open:    openAPI,
		checks: func(p *platform) []httpapi.Check {
			return []httpapi.Check{p.databaseCheck(), p.chainCheck(), p.objectsCheck()}
		},
	},
	{
		name:    "worker",
		summary: "background jobs (River): chain writes from the outbox; /healthz, /readyz, /metrics on http.opsListen",
		open:    openWorker,
		checks: func(p *platform) []httpapi.Check {
			return []httpapi.Check{p.databaseCheck(), p.chainCheck()}
		},
	},
	{
		name:    "listener",
		summary: "projects the chain's events into PostgreSQL, exactly once (run one per deployment); probes on http.opsListen",
		open:    openListener,
		checks: func(p *platform) []httpapi.Check {
			return []httpapi.Check{p.databaseCheck(), p.chainCheck()}
		},
	},
}

func serviceNames() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.name
	}
	return names
}

func findService(name string) (service, bool) {
	for _, s := range services {
		if s.name == name {
			return s, true
		}
	}
	return service{}, false
}

// buildVersion is what /api/v1/version and `kaiban version` report.
func buildVersion() api.Version {
	v := api.Version{Version: version, GoVersion: runtime.Version()}
	if commit != "" {
		v.Commit = &commit
	}
	return v
}

// newHTTPServer makes the API server of the platform; its readiness checks
// are those of every service in the process. Domain services are wired in
// by the caller (openAPI); a server without them answers their operations
// with 503, which is all a probe server needs.
func newHTTPServer(p *platform, checks []httpapi.Check, domains func(*httpapi.Options)) (*httpapi.Server, error) {
	h := p.cfg.HTTP
	o := httpapi.Options{
		Logger:         p.log,
		Registry:       p.registry,
		Version:        buildVersion(),
		Readiness:      checks,
		RateLimit:      h.RateLimit,
		RateBurst:      h.RateBurst,
		MaxBodyBytes:   h.MaxBodyBytes,
		TrustedProxies: h.TrustedProxies,
	}
	if domains != nil {
		domains(&o)
	}
	return httpapi.New(o)
}

func openAPI(ctx context.Context, p *platform) (*running, error) {
	if err := p.openOutbox(); err != nil {
		return nil, err
	}
	sec, err := p.openSecurity(ctx)
	if err != nil {
		return nil, err
	}
	// A change of a locker's unlock password or key ends its other holdings
	// in the same transaction, and the audit log records each once committed.
	keySvc, err := keys.New(p.pool, keys.Config{Logger: p.log, OnSubjectKeyChange: p.recordKeyChange,
		OnMemberKeyChange: p.recordMemberKeyChange, OnCustodyChange: locker.EndHoldingsOnKeyChange(sec.Audit)})
	if err != nil {
		return nil, err
	}
	lockerSvc, err := p.openLocker(keySvc)
	if err != nil {
		return nil, err
	}
	workflow, err := p.openWorkflow(keySvc, lockerSvc)
	if err != nil {
		return nil, err
	}
	oversight, err := p.openOversight(ctx, keySvc)
	if err != nil {
		return nil, err
	}
	iss, err := p.openIssuance(keySvc, lockerSvc, p.clerkIdentity())
	if err != nil {
		return nil, err
	}
	al, err := p.openAlliance(keySvc)
	if err != nil {
		return nil, err
	}
	srv, err := newHTTPServer(p, p.checks, func(o *httpapi.Options) {
		o.Alliance = al
		o.Keys = keySvc
		o.Security = sec
		o.Workflow = workflow
		o.Oversight = oversight
		o.Locker = lockerSvc
		o.Issuance = iss
	})
	if err != nil {
		return nil, err
	}
	ln, base, err := listen(p.cfg.HTTP.Listen)
	if err != nil {
		return nil, err
	}
	p.started("API", base+"/api/v1")
	p.started("docs", base+"/docs  (contract "+base+"/api-spec/openapi.yaml)")
	p.started("probes", base+"/healthz  "+base+"/readyz  "+base+"/metrics")
	p.started("portal", portalStatus(base))
	depts, err := p.openDepartments(ctx, base, sec.Identity, keySvc, iss)
	if err != nil {
		return nil, err
	}
	return &running{run: func(ctx context.Context) error {
		go func() { _ = depts.run(ctx) }()
		go p.driveDemo(ctx, base)
		return serveHTTP(ctx, p, ln, portal.With(srv.Handler()))
	}}, nil
}

// openOps serves /healthz, /readyz and /metrics on http.opsListen, for a
// process that runs no API.
func openOps(p *platform) (*running, error) {
	srv, err := newHTTPServer(p, p.checks, nil)
	if err != nil {
		return nil, err
	}
	ln, base, err := listen(p.cfg.HTTP.OpsListen)
	if err != nil {
		return nil, err
	}
	p.started("probes", base+"/healthz  "+base+"/readyz  "+base+"/metrics")
	return &running{run: func(ctx context.Context) error {
		return serveHTTP(ctx, p, ln, srv.OpsHandler())
	}}, nil
}

func openWorker(_ context.Context, p *platform) (*running, error) {
	workers := river.NewWorkers()
	if err := p.openOutbox(); err != nil {
		return nil, err
	}
	p.outbox.Register(workers)
	queues := map[string]int{outbox.Queue: p.cfg.Jobs.ChainWorkers}
	periodic, err := p.registerOversightJobs(workers, queues)
	if err != nil {
		return nil, err
	}
	remind, err := p.registerLockerJobs(workers, queues)
	if err != nil {
		return nil, err
	}
	bundle, err := p.registerIssuanceJobs(workers, queues, p.clerkIdentity())
	if err != nil {
		return nil, err
	}
	rc, err := jobs.NewClient(p.pool, workers, jobs.Config{Queues: queues})
	if err != nil {
		return nil, err
	}
	rc.PeriodicJobs().AddMany(periodic)
	rc.PeriodicJobs().Add(remind)
	rc.PeriodicJobs().Add(bundle)
	names := make([]string, 0, len(queues))
	for q := range queues {
		names = append(names, q)
	}
	sort.Strings(names)
	p.started("worker", fmt.Sprintf("River queues %v, %d chain writes at once, %d workers on each other queue", names, p.cfg.Jobs.ChainWorkers, p.cfg.Jobs.Workers))
	return &running{run: func(ctx context.Context) error {
		p.runDispatch(ctx)
		// Jobs must not see the process's cancellation as their own: a
		// graceful stop lets them finish, a hard one follows the timeout.
		if err := rc.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), p.cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := rc.Stop(sctx); err != nil {
			p.log.Warn("worker: jobs still running at the shutdown timeout; cancelling them", "error", err.Error())
			return rc.StopAndCancel(context.Background())
		}
		return nil
	}}, nil
}

func openListener(_ context.Context, p *platform) (*running, error) {
	id, err := p.chain.Identity(p.chain.Identities()[0])
	if err != nil {
		return nil, err
	}
	pr := projection.New(p.pool, id, projection.WithLogger(p.log.With("component", "projection")))
	p.started("listener", fmt.Sprintf("events of channel %s as %s into PostgreSQL, from the stored checkpoints", id.Channel(), id.Ref()))
	return &running{run: pr.Run}, nil
}

// listen binds addr and returns the listener and the URL clients use; an
// unspecified host is shown as localhost.
func listen(addr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return ln, "http://" + net.JoinHostPort(host, port), nil
}

// serveHTTP serves h on ln until ctx ends, then lets requests in flight
// finish within http.shutdownTimeout.
func serveHTTP(ctx context.Context, p *platform, ln net.Listener, h http.Handler) error {
	c := p.cfg.HTTP
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openServices opens the services, after collecting their readiness checks
// (one per name) for whichever server of the process answers /readyz.
func openServices(ctx context.Context, p *platform, ss []service) ([]*running, error) {
	seen := map[string]bool{}
	for _, s := range ss {
		for _, c := range s.checks(p) {
			if !seen[c.Name] {
				seen[c.Name] = true
				p.checks = append(p.checks, c)
			}
		}
	}
	var rs []*running
	for _, s := range ss {
		r, err := s.open(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// runAll runs the opened services until ctx ends or one of them fails,
// which stops the others.
func runAll(ctx context.Context, rs []*running) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range rs {
		g.Go(func() error { return r.run(gctx) })
	}
	return g.Wait()
}

// portalStatus is the summary line of the web portal.
func portalStatus(base string) string {
	if portal.Built() {
		return base + "/"
	}
	return base + "/  (not built into this binary: make portal)"
}
