// Package miniotest runs a real MinIO server for tests: the pinned server
// (Version), built once with `go install` and cached (Binary), started on a
// free loopback port with a temporary data folder and random credentials.
//
// Shared gives every test of a process one server and a fresh bucket each
// (NewBucket); Start gives a test a server of its own, for tests that stop or
// kill it. Setting KAIBAN_TEST_MINIO to http://ACCESS:SECRET@HOST:PORT makes
// Shared use that server instead of starting one. A machine that can neither
// find nor build the server fails the test with the command that fixes it;
// it never skips.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a MinIO server the tests can reach on Endpoint with the root
// credentials AccessKey and SecretKey.
type Server struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string

	proc *process // nil for a server the harness did not start
}

// readyTimeout bounds how long a starting server may take to answer; the
// machines this runs on are small and busy.
const readyTimeout = 2 * time.Minute

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns the server shared by the tests of this process, starting it
// on first use. It lives as long as the process (the kernel kills it when
// the process ends) and its data folder is removed by a later run. Give each
// test its own bucket with NewBucket.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = startShared() })
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

func startShared() (*Server, error) {
	if u := os.Getenv("KAIBAN_TEST_MINIO"); u != "" {
		return external(u)
	}
	sweepShared()
	dir, err := os.MkdirTemp("", fmt.Sprintf("kaiban-miniotest-%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("miniotest: %w", err)
	}
	return start(dir)
}

// external describes the server of KAIBAN_TEST_MINIO.
func external(raw string) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User == nil {
		return nil, fmt.Errorf("miniotest: KAIBAN_TEST_MINIO must be http://ACCESS:SECRET@HOST:PORT, not %q", raw)
	}
	secret, _ := u.User.Password()
	return &Server{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: secret}, nil
}

// sweepShared removes the data folders of shared servers whose test process
// is gone.
func sweepShared() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "kaiban-miniotest-*-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.Split(filepath.Base(d), "-")[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// Start starts a server for this test alone, with its data in a temporary
// folder; the server is stopped and the folder removed when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	dir := tb.TempDir()
	s, err := start(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Stop() })
	return s
}

// start starts a server with its data under dir, retrying on a new port if
// the one it picked was taken in the meantime.
func start(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{AccessKey: "kaiban-" + randomHex(6), SecretKey: randomHex(20)}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.proc, err = spawn(bin, dir, s)
		if err == nil {
			err = s.waitReady()
		}
		if err == nil {
			return s, nil
		}
		s.Kill()
		if attempt == 3 {
			return nil, err
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("miniotest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a running server and what it printed.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, set before done closes
}

// spawn starts the server process. It is started from a goroutine locked to
// its OS thread that waits for it, and asks the kernel to kill it when that
// thread ends: the server cannot outlive the test process, even one killed
// by a timeout before any cleanup runs.
func spawn(bin, dir string, s *Server) (*process, error) {
	p := &process{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "server", "--quiet",
		"--address", s.Endpoint,
		"--certs-dir", filepath.Join(dir, "certs"),
		filepath.Join(dir, "data"))
	p.cmd.Env = append(environWithout("MINIO_"),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"HOME="+dir,
	)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("miniotest: start %s: %w", bin, err)
	}
	return p, nil
}

func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls the server's cluster health endpoint until it answers 200.
// Its /minio/health/ready answers 200 before the object layer is up, so a
// request right after it can still get "Server not initialized yet".
func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	url := "http://" + s.Endpoint + "/minio/health/cluster"
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.proc.done:
			return fmt.Errorf("miniotest: MinIO server on %s exited before it was ready (%v):\n%s", s.Endpoint, s.proc.err, s.proc.out)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("miniotest: MinIO server on %s not ready after %s:\n%s", s.Endpoint, readyTimeout, s.proc.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops a server the harness started (SIGTERM, then SIGKILL after ten
// seconds) and waits until it has exited.
func (s *Server) Stop() {
	if s.proc == nil {
		return
	}
	s.proc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.proc.done:
	case <-time.After(10 * time.Second):
		s.Kill()
	}
}

// Kill kills a server the harness started with SIGKILL, as a crash would, and
// waits until it has exited.
func (s *Server) Kill() {
	if s.proc == nil {
		return
	}
	s.proc.cmd.Process.Kill()
	<-s.proc.done
}

// Client returns a client with the server's root credentials, for a test to
// inspect or damage what a store wrote.
func (s *Server) Client(tb testing.TB) *minio.Client {
	tb.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		tb.Fatalf("miniotest: client for %s: %v", s.Endpoint, err)
	}
	return c
}

// NewBucket returns the name of a bucket that does not exist yet, for one
// test; the bucket and its objects are removed when the test ends, if the
// test (or the store under test) created it.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	bucket := "kaiban-test-" + randomHex(8)
	c := s.Client(tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ok, err := c.BucketExists(ctx, bucket); err != nil || !ok {
			return
		}
		objects := c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
		for e := range c.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
			tb.Logf("miniotest: remove %s/%s: %v", bucket, e.ObjectName, e.Err)
		}
		if err := c.RemoveBucket(ctx, bucket); err != nil {
			tb.Logf("miniotest: remove bucket %s: %v", bucket, err)
		}
	})
	return bucket
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a server's output for error messages; the server
// writes it from the exec package's copying goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
