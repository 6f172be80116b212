package httpapi

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The load benchmarks report, besides req/s and latency, where the CPU of a
// request goes: cpu-µs/req is this process (the HTTP server and the load
// generator, which a bare Gin run pays as well) and pg-µs/req the
// PostgreSQL backends serving the database under test (read from /proc; the
// server's WAL writer and checkpointer are not counted). CPU time per
// request is steadier than req/s on a shared machine: other work slows a
// run down but does not make its requests cost more.

// cpuMeter is the CPU time used by the process and the database's backends
// since startCPU.
type cpuMeter struct {
	pool    *pgxpool.Pool
	self    time.Duration
	backend map[int]time.Duration
}

func startCPU(b *testing.B, pool *pgxpool.Pool) *cpuMeter {
	b.Helper()
	m := &cpuMeter{pool: pool, self: selfCPU()}
	if pool != nil {
		m.backend = backendCPU(b, pool)
	}
	return m
}

// report adds cpu-µs/req and, with a database, pg-µs/req to b's metrics.
func (m *cpuMeter) report(b *testing.B, n int) {
	b.Helper()
	b.ReportMetric(float64((selfCPU()-m.self).Microseconds())/float64(n), "cpu-µs/req")
	if m.pool == nil {
		return
	}
	var pg time.Duration
	for pid, t := range backendCPU(b, m.pool) {
		pg += t - m.backend[pid] // a backend started during the run counts from 0
	}
	b.ReportMetric(float64(pg.Microseconds())/float64(n), "pg-µs/req")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// backendCPU returns the user+system CPU time of every backend connected to
// pool's database.
func backendCPU(b *testing.B, pool *pgxpool.Pool) map[int]time.Duration {
	b.Helper()
	rows, err := pool.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		if t, err := procCPU(pid); err == nil {
			out[pid] = t
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// procCPU reads utime + stime of pid from /proc/pid/stat.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// f[0] is the state (field 3); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * clockTick, nil
}
