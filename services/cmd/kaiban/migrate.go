package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kaiban-platform/kaiban/services/internal/config"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
)

// runMigrate runs `kaiban migrate [up|status]` on database.url, or on the
// local cluster of `kaiban dev` when none is configured.
func runMigrate(ctx context.Context, e env, args []string) error {
	sub := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if sub != "up" && sub != "status" {
		return usagef("unknown subcommand %q", sub)
	}
	cfg, rest, log, err := loadConfig("migrate", args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	p := newPlatform(cfg, log)
	defer p.Close()
	dbURL := cfg.Database.URL
	if dbURL == "" {
		if dbURL, err = p.localDatabase(ctx); err != nil {
			return err
		}
	}
	if err := p.openDatabase(ctx, dbURL); err != nil {
		return err
	}
	if sub == "up" {
		if err := p.migrate(ctx); err != nil {
			return err
		}
	}
	status, err := postgres.Status(ctx, p.pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database %s\n", config.MaskURL(dbURL))
	for _, s := range status {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(e.stdout, "  %-8s %s\n", state, s.Source)
	}
	return nil
}
