package fabricproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process describes a background process.
type Process struct {
	// Name identifies the process in messages.
	Name string
	// Path is the executable; Args its arguments (without the program name).
	Path string
	Args []string
	// Dir is the working directory.
	Dir string
	// Env is added to the environment of kaiban-net.
	Env []string
	// PIDFile records the process ID while it runs; LogFile receives its
	// standard output and error, appended.
	PIDFile, LogFile string
}

// Start starts the process in its own session, so that it keeps running after
// kaiban-net exits, and records its PID. A process already running under the
// PID file is left alone and its PID returned.
func (p Process) Start() (pid int, started bool, err error) {
	if pid, ok := Running(p.PIDFile, p.Path); ok {
		return pid, false, nil
	}
	for _, d := range []string{filepath.Dir(p.PIDFile), filepath.Dir(p.LogFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, false, err
		}
	}
	log, err := os.OpenFile(p.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, false, err
	}
	defer log.Close()
	fmt.Fprintf(log, "\n=== %s: kaiban-net starts %s %s\n", time.Now().Format(time.RFC3339), p.Path, strings.Join(p.Args, " "))
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, false, fmt.Errorf("start %s: %w", p.Name, err)
	}
	pid = cmd.Process.Pid
	// The child is not waited for: it belongs to its own session now. Release
	// frees the handle without killing it.
	if err := writePID(p.PIDFile, pid); err != nil {
		_ = cmd.Process.Kill()
		return 0, false, err
	}
	_ = cmd.Process.Release()
	return pid, true, nil
}

func writePID(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Running reports the PID recorded in pidFile if that process is alive and
// runs the executable path (a PID reused by another program does not count).
func Running(pidFile, path string) (int, bool) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if !alive(pid) {
		return 0, false
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && path != "" {
		if filepath.Base(strings.TrimSuffix(exe, " (deleted)")) != filepath.Base(path) {
			return 0, false
		}
	}
	return pid, true
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie (exited, not yet reaped by its parent) is not running.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// Stop ends the process recorded in pidFile: SIGTERM, then SIGKILL after
// grace. It removes the PID file. A process that is not running is not an
// error.
func Stop(pidFile, path string, grace time.Duration) (stopped bool, err error) {
	pid, ok := Running(pidFile, path)
	if !ok {
		_ = os.Remove(pidFile)
		return false, nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("stop process %d: %w", pid, err)
	}
	deadline := time.Now().Add(grace)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; alive(pid) && i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return true, os.Remove(pidFile)
}
