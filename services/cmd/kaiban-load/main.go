// Command kaiban-load runs enterprise establishments against a running
// `kaiban dev` through its REST API and reports establishments per minute and
// application→bundle latencies at each concurrency. It signs in as kaiban
// dev's demo accounts (clerk, reviewer, supervisor), opens one locker for the
// run and applies the whole establishment form (all seven departments) N
// times at each concurrency; the departments are kaiban dev's simulators.
// scripts/load-establishments.sh starts a fresh kaiban dev for it.
//
//	kaiban-load -url http://localhost:8080 -n 64 -concurrency 8,32,128
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/establish"
)

func main() {
	url := flag.String("url", "http://localhost:8080", "the API's base URL")
	n := flag.Int("n", 0, "establishments per concurrency level (default: -rounds × the concurrency, at least 16)")
	rounds := flag.Int("rounds", 2, "with no -n: establishments per level as a multiple of the concurrency")
	levels := flag.String("concurrency", "8,32,128", "comma-separated concurrency levels, run in order")
	password := flag.String("password", "Kaiban-Demo-2021", "the demo accounts' password (kaiban dev's DemoPassword)")
	timeout := flag.Duration("timeout", 10*time.Minute, "longest one establishment may take")
	poll := flag.Duration("poll", 100*time.Millisecond, "how often the supervisor's list of completed processes is read")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *n, *rounds, *levels, *password, *timeout, *poll); err != nil {
		fmt.Fprintln(os.Stderr, "kaiban-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, base string, n, rounds int, levels, password string, timeout, poll time.Duration) error {
	var cs []int
	for _, s := range strings.Split(levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			return fmt.Errorf("-concurrency %q: want positive integers", levels)
		}
		cs = append(cs, c)
	}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var w establish.Window
	for _, s := range []struct {
		c     **establish.Client
		login string
	}{{&w.Clerk, "demo-clerk"}, {&w.Reviewer, "demo-reviewer"}, {&w.Supervisor, "demo-supervisor"}} {
		c, err := establish.Login(ctx, base, hc, s.login, password)
		if err != nil {
			return fmt.Errorf("%w (kaiban dev seeds the demo accounts unless KAIBAN_DEMO=off)", err)
		}
		*s.c = c
	}
	// Each run opens its own locker: one locker per company name.
	firm, err := w.OpenLocker(ctx, establish.Enterprise{
		Name: fmt.Sprintf("压测企业 %d", time.Now().UnixNano()), Address: "济南市历下区泉城路 1 号",
		LegalRepName: "张三", LegalRepIDNumber: establish.LegalRepID, UnlockPassword: "Load-test-unlock-1",
	})
	if err != nil {
		return err
	}
	fmt.Printf("kaiban-load against %s, locker %s\n", base, firm)
	for _, c := range cs {
		count := n
		if count <= 0 {
			count = max(rounds*c, 16)
		}
		tctx, cancel := context.WithCancel(ctx)
		tr := establish.Track(tctx, establish.SupervisorCompleted(w.Supervisor, time.Now().Add(-time.Minute)), poll)
		r := establish.Run(ctx, count, c, establish.Establisher(&w, tr, firm, timeout))
		cancel()
		fmt.Println(r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}
