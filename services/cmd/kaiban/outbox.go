package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// The chain outbox from the host: `kaiban outbox list` shows the writes of
// one status, failed ones by default, and `kaiban outbox retry` puts failed
// writes back to work once their cause is fixed — nothing else can, and a
// failed write may hold a business process back (an issuance bundle, say).
// docs/services.md (Failed chain writes) describes both.

// outboxWorkedBy names the processes that submit a retried write.
const outboxWorkedBy = "the process that works the chain queue (kaiban serve worker, kaiban serve or kaiban dev)"

func runOutbox(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list or retry")
	}
	switch args[0] {
	case "list":
		return runOutboxList(ctx, e, args[1:])
	case "retry":
		return runOutboxRetry(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q; want list or retry", args[0])
}

// runOutboxList runs `kaiban outbox list [--status S] [--limit N] [flags]`:
// the latest writes in status S (default failed), in enqueue order, which is
// the order to retry them in.
func runOutboxList(ctx context.Context, e env, args []string) error {
	var f outboxListFlags
	args, err := commandFlags(f.set(), args)
	if err != nil {
		return err
	}
	st, err := outbox.ParseStatus(f.status)
	if err != nil {
		return usagef("--status must be one of %s, not %q", statusNames(), f.status)
	}
	if f.limit < 1 {
		return usagef("--limit must be at least 1")
	}
	p, err := openOutboxHost(ctx, "kaiban outbox list", args, e)
	if err != nil {
		return err
	}
	defer p.Close()
	entries, err := p.outbox.List(ctx, st, f.limit+1)
	if err != nil {
		return err
	}
	more := len(entries) > f.limit
	if more {
		entries = entries[1:] // the oldest: List keeps the latest, in enqueue order
	}
	if len(entries) == 0 {
		fmt.Fprintf(e.stdout, "no %s chain writes\n", st)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCALL\tATTEMPTS\tCODE\tUPDATED\tLAST ERROR")
	for _, en := range entries {
		code := en.ErrorCode
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(tw, "%s\t%s.%s\t%d\t%s\t%s\t%s\n", en.Key, en.Chaincode, en.Function, en.Attempts, code,
			en.UpdatedAt.UTC().Format(time.RFC3339), oneLine(en.LastError, 120))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(e.stdout, "(the latest %d; --limit N shows more)\n", f.limit)
	}
	if st == outbox.StatusFailed {
		fmt.Fprintln(e.stdout, "Once the cause is fixed: kaiban outbox retry KEY... (in the order listed: a write waits for the earlier writes of its lane)")
	}
	return nil
}

// outboxListFlags are the flags of kaiban outbox list.
type outboxListFlags struct {
	status string
	limit  int
}

func (f *outboxListFlags) set() *flag.FlagSet {
	fs := flag.NewFlagSet("outbox list", flag.ContinueOnError)
	fs.StringVar(&f.status, "status", string(outbox.StatusFailed), "the status of the writes listed")
	fs.IntVar(&f.limit, "limit", 50, "how many of the latest writes are listed")
	return fs
}

// runOutboxRetry runs `kaiban outbox retry [flags] KEY...`: each failed
// write goes back to work with a new job, in enqueue order, and each attempt
// is recorded in the audit log. The exit status is 1 when any key was not
// retried.
func runOutboxRetry(ctx context.Context, e env, args []string) error {
	p, keys, err := openOutboxHostArgs(ctx, "kaiban outbox retry", args, e)
	if err != nil {
		return err
	}
	defer p.Close()
	if len(keys) == 0 {
		return usagef("want the KEY of one or more failed writes (kaiban outbox list), after any configuration flags")
	}
	lg, err := p.openAudit()
	if err != nil {
		return err
	}
	// Retried in enqueue order: a later write of a lane retried before an
	// earlier one would fail again at once, behind the failed one.
	var found []*outbox.Entry
	refused := 0
	for _, key := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		en, err := p.outbox.Get(ctx, key)
		if errors.Is(err, outbox.ErrNotFound) {
			fmt.Fprintf(e.stdout, "%s: no such write\n", key)
			refused++
			if err := recordRetry(ctx, lg, key, audit.ResultRejected, "no such write"); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		found = append(found, en)
	}
	slices.SortFunc(found, func(a, b *outbox.Entry) int { return cmp.Compare(a.ID, b.ID) })
	retried := 0
	for _, en := range found {
		err := p.outbox.Retry(ctx, en.Key)
		result, outcome := audit.ResultOK, "retried"
		switch {
		case err == nil:
			retried++
			if now, err := p.outbox.Get(ctx, en.Key); err == nil {
				outcome = "retried, now " + string(now.Status)
			}
		case errors.Is(err, outbox.ErrNotFound):
			result, outcome = audit.ResultRejected, "not a failed write (status "+string(en.Status)+")"
		case errors.Is(err, outbox.ErrInvalidWrite):
			result, outcome = audit.ResultRejected, "cannot be retried: its transient data was erased when it failed; the write must be enqueued again under a new key"
		default:
			result, outcome = audit.ResultError, "not retried: "+err.Error()
		}
		if result != audit.ResultOK {
			refused++
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", en.Key, outcome)
		if err := recordRetry(ctx, lg, en.Key, result, outcome); err != nil {
			return err
		}
	}
	if retried > 0 {
		fmt.Fprintf(e.stdout, "%d retried: %s submits them; kaiban outbox list --status pending (or submitting, done, failed) follows them\n",
			retried, outboxWorkedBy)
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d writes not retried", refused, refused+retried)
	}
	return nil
}

// recordRetry records one key's retry in the audit log.
func recordRetry(ctx context.Context, lg *audit.Log, key, result, outcome string) error {
	detail := fmt.Sprintf(`{"outcome":%q}`, outcome)
	_, err := lg.Append(ctx, audit.Entry{ActorKind: audit.ActorSystem, ActorID: "cli", ActorName: "kaiban outbox retry",
		Action: "outbox.retry", Resource: "chain_outbox/" + key, Result: result, Detail: detail})
	return err
}

// openOutboxHost opens the database of the configuration (database.url, or
// kaiban dev's local cluster) and an outbox over it that only reads and
// retries: it has no chain client, the processes that work the queue submit.
// Arguments other than configuration flags are refused.
func openOutboxHost(ctx context.Context, what string, args []string, e env) (*platform, error) {
	p, rest, err := openOutboxHostArgs(ctx, what, args, e)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		p.Close()
		return nil, usagef("unexpected argument %q", rest[0])
	}
	return p, nil
}

// openOutboxHostArgs is openOutboxHost that returns the arguments left after
// the configuration flags.
func openOutboxHostArgs(ctx context.Context, what string, args []string, e env) (*platform, []string, error) {
	cfg, rest, log, err := loadConfig("outbox", args, e)
	if err != nil {
		return nil, nil, err
	}
	p := newPlatform(cfg, log)
	if err := p.openHostDatabase(ctx, what); err != nil {
		p.Close()
		return nil, nil, err
	}
	ob, err := outbox.New(p.pool, nil, outbox.Config{})
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	p.outbox = ob
	return p, rest, nil
}

// commandFlags parses the flags fs defines, wherever they are in args
// (--name value or --name=value; fs has no boolean flags), and returns the
// other arguments — configuration flags among them, for config.Load.
func commandFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var own, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || fs.Lookup(name) == nil {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if !hasValue && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	if err := fs.Parse(own); err != nil {
		return nil, usageError(err.Error())
	}
	return rest, nil
}

func statusNames() string {
	names := make([]string, len(outbox.Statuses))
	for i, st := range outbox.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// oneLine is s on one line, shortened to at most n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
