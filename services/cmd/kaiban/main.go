// Command kaiban runs Kaiban's services: every one of them with its
// dependencies in one process on a laptop (kaiban dev), one service per
// process in production (kaiban serve SERVICE), and the database migrations
// (kaiban migrate). It only parses configuration and wires packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/kaiban-platform/kaiban/services/internal/config"
)

// version and commit are set at build time:
// go build -ldflags "-X main.version=0.1.0 -X main.commit=$(git rev-parse HEAD)".
var (
	version = "dev"
	commit  = ""
)

// env is what a command reads from its surroundings, so that tests run the
// commands in-process with their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"dev", "[flags]", "run everything locally: devnet, PostgreSQL, object store, migrations and every service", runDev},
		{"serve", "[SERVICE] [flags]", "run one service (" + strings.Join(serviceNames(), ", ") + "), or all of them, against configured dependencies", runServe},
		{"migrate", "[up|status] [flags]", "apply the database migrations, or list them", runMigrate},
		{"admin", "create ROLE LOGIN NAME", "create an administrator (sysadmin, secadmin, auditadmin) with a one-time password", runAdmin},
		{"audit", "verify [flags]", "verify the audit log: any altered, inserted or deleted record", runAudit},
		{"outbox", "list [--status S] [--limit N] | retry KEY...", "list chain writes of a status (failed by default), or put failed ones back to work", runOutbox},
		{"department", "key-password CODE", "print the key password kaiban dev gave a simulated department (market, seal, …, bank, tax) or the operator, which is also the regulator member", runDepartment},
		{"version", "", "print the version", runVersion},
		{"help", "[config]", "this help, or every configuration setting", runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(e.stderr, "kaiban %s: %v\nusage: kaiban %s %s\n", c.name, err, c.name, c.args)
			return 2
		default:
			fmt.Fprintf(e.stderr, "kaiban %s: %v\n", c.name, err)
			return 1
		}
	}
	if args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	fmt.Fprintf(e.stderr, "kaiban: unknown command %q\n", args[0])
	usage(e.stderr)
	return 2
}

// usageError is a command line the command cannot make sense of; the
// command's usage line follows it.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kaiban <command> [arguments]\n\ncommands:")
	for _, c := range commands {
		// A long name or arguments put the summary on a line of its own,
		// in the summaries' column.
		if utf8.RuneCountInString(c.name) > 8 || utf8.RuneCountInString(c.args) > 20 {
			fmt.Fprintf(w, "  %-8s %s\n  %-8s %-20s %s\n", c.name, c.args, "", "", c.summary)
			continue
		}
		fmt.Fprintf(w, "  %-8s %-20s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes the configuration flags; 'kaiban help config' lists them.")
}

func runHelp(_ context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "config" {
		config.Usage(e.stdout)
		return nil
	}
	usage(e.stdout)
	return nil
}

func runVersion(_ context.Context, e env, _ []string) error {
	v := buildVersion()
	fmt.Fprintf(e.stdout, "kaiban %s", v.Version)
	if v.Commit != nil {
		fmt.Fprintf(e.stdout, " (%s)", *v.Commit)
	}
	fmt.Fprintf(e.stdout, " %s\n", v.GoVersion)
	return nil
}

// loadConfig reads the configuration of a command and sets up the process
// log from it; the configuration is the log's first line, secrets masked.
func loadConfig(command string, args []string, e env) (config.Config, []string, *slog.Logger, error) {
	cfg, rest, err := config.Load(command, args, e.getenv, e.stdout)
	if err != nil {
		return cfg, nil, nil, err
	}
	log := newLogger(cfg.Log, e.stderr)
	// Libraries that log through slog.Default (River's quiet logger, say)
	// write to the same place in the same format.
	slog.SetDefault(log)
	log.Info("configuration", "command", command, "version", version, "config", cfg.MaskedJSON())
	return cfg, rest, log, nil
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
