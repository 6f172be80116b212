package fabricproc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	peer := filepath.Join(dir, "bin", "peer")
	if err := os.WriteFile(peer, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvFabricBin, dir)
	t.Setenv("PATH", t.TempDir())
	if got, err := FindBinary("peer"); err != nil || got != peer {
		t.Errorf("FindBinary(peer) = %q, %v; want %s (FABRIC_BIN/bin)", got, err, peer)
	}
	_, err := FindBinary("orderer")
	var missing *MissingBinaryError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "FABRIC_BIN="+dir) || !strings.Contains(err.Error(), "--docker") {
		t.Errorf("FindBinary(orderer) = %v", err)
	}
	t.Setenv(EnvFabricBin, "")
	if _, err := FindBinary("peer"); !strings.Contains(err.Error(), "FABRIC_BIN is not set") {
		t.Errorf("without FABRIC_BIN: %v", err)
	}
}

func TestCheckPortFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	err = CheckPortFree(addr, "peer0")
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Addr != addr {
		t.Errorf("CheckPortFree(busy) = %v", err)
	}
	l.Close()
	if err := CheckPortFree(addr, "peer0"); err != nil {
		t.Errorf("CheckPortFree(free) = %v", err)
	}
}

func TestProcess_StartRunningStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	dir := t.TempDir()
	p := Process{Name: "sleeper", Path: sleep, Args: []string{"60"}, Dir: dir,
		PIDFile: filepath.Join(dir, "run", "s.pid"), LogFile: filepath.Join(dir, "log", "s.log")}
	pid, started, err := p.Start()
	if err != nil || !started {
		t.Fatalf("Start = %d, %v, %v", pid, started, err)
	}
	t.Cleanup(func() { Stop(p.PIDFile, p.Path, time.Second) })
	if again, started, err := p.Start(); err != nil || started || again != pid {
		t.Errorf("second Start = %d, %v, %v; want the running process", again, started, err)
	}
	if got, ok := Running(p.PIDFile, p.Path); !ok || got != pid {
		t.Errorf("Running = %d, %v", got, ok)
	}
	if _, ok := Running(p.PIDFile, "/usr/bin/other"); ok {
		t.Error("Running accepted a process running another executable")
	}
	stopped, err := Stop(p.PIDFile, p.Path, 5*time.Second)
	if err != nil || !stopped {
		t.Fatalf("Stop = %v, %v", stopped, err)
	}
	if _, ok := Running(p.PIDFile, p.Path); ok {
		t.Error("still running after Stop")
	}
	if stopped, err := Stop(p.PIDFile, p.Path, time.Second); err != nil || stopped {
		t.Errorf("second Stop = %v, %v", stopped, err)
	}
	if log, _ := os.ReadFile(p.LogFile); !strings.Contains(string(log), "kaiban-net starts") {
		t.Errorf("log = %q", log)
	}
}

func TestWaitHealthy(t *testing.T) {
	healthy := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-healthy:
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := WaitHealthy(ctx, addr, nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("WaitHealthy(unhealthy) = %v", err)
	}
	close(healthy)
	if err := WaitHealthy(context.Background(), addr, nil); err != nil {
		t.Errorf("WaitHealthy(healthy) = %v", err)
	}
	dead := errors.New("process exited")
	if err := WaitHealthy(context.Background(), "127.0.0.1:1", func() error { return dead }); !errors.Is(err, dead) {
		t.Errorf("WaitHealthy with a dead process = %v", err)
	}
}
