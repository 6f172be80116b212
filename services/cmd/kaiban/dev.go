package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/config"
)

// runDev runs `kaiban dev`: the whole platform in this process, with its data
// under ./.kaiban — the devnet, PostgreSQL (database.url, or a local
// cluster it starts), the object store, the migrations and every service,
// all on one HTTP server.
func runDev(ctx context.Context, e env, args []string) error {
	cfg, rest, log, err := loadConfig("dev", args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	began := time.Now()
	p := newPlatform(cfg, log)
	p.getenv = e.getenv
	if p.demo, err = demoFrom(e.getenv("KAIBAN_DEMO")); err != nil {
		return err
	}
	defer func() {
		log.Info("stopping")
		p.Close()
		log.Info("stopped")
	}()

	if err := p.loadMasterKey("kaiban dev", true); err != nil {
		return err
	}
	dbURL := cfg.Database.URL
	if dbURL == "" {
		if dbURL, err = p.localDatabase(ctx); err != nil {
			return err
		}
	} else {
		p.started("PostgreSQL", config.MaskURL(dbURL))
	}
	if err := p.openDatabase(ctx, dbURL); err != nil {
		return err
	}
	if err := p.migrate(ctx); err != nil {
		return err
	}
	n, err := p.startDevnet()
	if err != nil {
		return err
	}
	chainCfg, err := chain.DevnetConfig(cfg.Chain.Devnet.Dir, n.Addr(), cfg.Chain.Devnet.TLS)
	if err != nil {
		return err
	}
	if err := p.connectChain(chainCfg, "the devnet"); err != nil {
		return err
	}
	if err := p.openStore(ctx); err != nil {
		return err
	}
	if err := p.foundAlliance(ctx); err != nil {
		return err
	}

	rs, err := openServices(ctx, p, services)
	if err != nil {
		return err
	}
	printSummary(e.stdout, fmt.Sprintf("kaiban dev ready in %s", time.Since(began).Round(time.Millisecond)), p.report)
	fmt.Fprintln(e.stdout, "Ctrl-C stops everything; the data stays under .kaiban for the next run.")
	return runAll(ctx, rs)
}

// startDevnet starts the embedded devnet with the four Kaiban chaincodes.
func (p *platform) startDevnet() (*devnet.Network, error) {
	ccs, err := devnet.KaibanChaincodes()
	if err != nil {
		return nil, err
	}
	d := p.cfg.Chain.Devnet
	n, err := devnet.Start(devnet.Config{Dir: d.Dir, Listen: d.Listen, OpsListen: d.Ops, TLS: d.TLS, Chaincodes: ccs,
		BatchTimeout: d.BatchTimeout})
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	p.onClose(func() {
		if err := n.Close(); err != nil {
			p.log.Warn("devnet close", "error", err.Error())
		}
	})
	scheme := "grpc"
	if d.TLS {
		scheme = "grpcs"
	}
	detail := fmt.Sprintf("%s://%s, channel %s, %d organisations, data %s", scheme, n.Addr(),
		strings.Join(n.Channels(), ","), len(devnet.DefaultOrgs()), d.Dir)
	if ops := n.OpsAddr(); ops != "" {
		detail += ", ops http://" + ops
		p.devnetOps = ops
	}
	p.devnet = detail
	p.started("devnet", detail)
	return n, nil
}

// printSummary prints what a process started, one aligned line each.
func printSummary(w io.Writer, title string, report [][2]string) {
	fmt.Fprintln(w, title)
	for _, r := range report {
		fmt.Fprintf(w, "  %-13s %s\n", r[0], r[1])
	}
}
