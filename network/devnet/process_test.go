package devnet_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the kaiban-net binary that kaibanNet built, so that test and
// benchmark runs do not leave one in the temporary directory each.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// kaibanNet builds the kaiban-net binary once per test run.
func kaibanNet(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kaiban-net-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kaiban-net")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/kaiban-platform/kaiban/network/cmd/kaiban-net").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build kaiban-net: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// devnetProcess is a kaiban-net devnet child process.
type devnetProcess struct {
	cmd   *exec.Cmd
	addr  string
	ready time.Duration
	done  chan struct{}
}

var readyLine = regexp.MustCompile(`^devnet ready in (\S+): grpc=(\S+) `)

// startProcess runs `kaiban-net devnet --data dir args...` and waits for its ready line.
func startProcess(t testing.TB, dir string, args ...string) *devnetProcess {
	t.Helper()
	args = append([]string{"devnet", "--data", dir, "--listen", "127.0.0.1:0", "--ops", "-"}, args...)
	cmd := exec.Command(kaibanNet(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devnetProcess{cmd: cmd, done: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("kaiban-net exited before it was ready: %s", stderr.String())
	}
	m := readyLine.FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("unexpected first line %q", lines.Text())
	}
	p.ready, _ = time.ParseDuration(m[1])
	p.addr = m[2]
	go func() {
		for lines.Scan() {
		}
		cmd.Wait()
		close(p.done)
	}()
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *devnetProcess) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *devnetProcess) stop(t testing.TB) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatal("kaiban-net did not stop on SIGTERM")
	}
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM).
func (p *devnetProcess) peakRSS() int64 { return loadtest.PeakRSS(p.cmd.Process.Pid) }

// cpuTime returns the user plus system CPU time the process has used.
func (p *devnetProcess) cpuTime() time.Duration { return loadtest.ProcessCPU(p.cmd.Process.Pid) }
