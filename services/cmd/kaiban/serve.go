package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// runServe runs `kaiban serve [SERVICE]` against the configured database,
// chain and object store: one service, as production runs each in its own
// process, or without a name every service in this process. A process
// without the api serves /healthz, /readyz and /metrics on http.opsListen.
func runServe(ctx context.Context, e env, args []string) error {
	run := services
	what := "kaiban serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		svc, ok := findService(args[0])
		if !ok {
			return usagef("unknown service %q; the services are %s", args[0], strings.Join(serviceNames(), ", "))
		}
		run = []service{svc}
		what += " " + svc.name
		args = args[1:]
	}
	cfg, rest, log, err := loadConfig(what, args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if err := cfg.Require(what, "database.url", "chain.endpoint", "chain.mspId", "chain.cert"); err != nil {
		return err
	}
	began := time.Now()
	p := newPlatform(cfg, log)
	defer func() {
		log.Info("stopping")
		p.Close()
		log.Info("stopped")
	}()
	if err := p.loadMasterKey(what, false); err != nil {
		return err
	}
	if err := p.openDatabase(ctx, cfg.Database.URL); err != nil {
		return err
	}
	if err := p.migrate(ctx); err != nil {
		return err
	}
	if err := p.connectChain(chainConfig(cfg.Chain), cfg.Chain.Endpoint); err != nil {
		return err
	}
	hasAPI := false
	for _, s := range run {
		hasAPI = hasAPI || s.name == "api"
	}
	if hasAPI {
		if err := p.openStore(ctx); err != nil {
			return err
		}
	}
	rs, err := openServices(ctx, p, run)
	if err != nil {
		return err
	}
	if !hasAPI {
		ops, err := openOps(p)
		if err != nil {
			return err
		}
		rs = append(rs, ops)
	}
	printSummary(e.stdout, fmt.Sprintf("%s ready in %s", what, time.Since(began).Round(time.Millisecond)), p.report)
	return runAll(ctx, rs)
}
