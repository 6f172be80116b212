package devnet_test

import (
	"bufio"
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

// builds holds the binaries built for this test run, by package path.
var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// TestMain removes the binaries that goBinary built, so that test and
// benchmark runs do not leave them in the temporary directory each.
func TestMain(m *testing.M) {
	code := m.Run()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	os.Exit(code)
}

// goBinary builds the command of a package once per test run.
func goBinary(t testing.TB, pkg string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if bin, ok := builds.bins[pkg]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "kaiban-net-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
	}
	bin := filepath.Join(builds.dir, filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	builds.bins[pkg] = bin
	return bin
}

// kaibanNet builds the kaiban-net binary once per test run.
func kaibanNet(t testing.TB) string {
	return goBinary(t, "github.com/kaiban-platform/kaiban/network/cmd/kaiban-net")
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
	return startCommand(t, []string{kaibanNet(t), "devnet"}, dir, args...)
}

// startCommand runs command, a devnet command line such as kaiban-net
// devnet, with --data dir and args, and waits for its ready line.
func startCommand(t testing.TB, command []string, dir string, args ...string) *devnetProcess {
	t.Helper()
	args = append(append(command[1:len(command):len(command)], "--data", dir, "--listen", "127.0.0.1:0", "--ops", "-"), args...)
	cmd := exec.Command(command[0], args...)
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
		t.Fatalf("%s exited before it was ready: %s", filepath.Base(command[0]), stderr.String())
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
		t.Fatal("the devnet process did not stop on SIGTERM")
	}
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM).
func (p *devnetProcess) peakRSS() int64 { return loadtest.PeakRSS(p.cmd.Process.Pid) }

// cpuTime returns the user plus system CPU time the process has used.
func (p *devnetProcess) cpuTime() time.Duration { return loadtest.ProcessCPU(p.cmd.Process.Pid) }
