package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// serverProcess is the chaincode server of a package.
type serverProcess struct {
	fabricproc.Process
	pkg consortium.Package
}

// serverProcesses describes the server of every package that was deployed
// (its package file and its copied binary exist).
func (n *Network) serverProcesses() ([]serverProcess, error) {
	var out []serverProcess
	for _, p := range n.Spec.Packages {
		id, err := consortium.PackageID(n.Layout, p)
		if err != nil {
			return nil, err
		}
		bin := filepath.Join(n.Layout.ChaincodeBinDir(p), p.Chaincode)
		if id == "" {
			continue
		}
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		out = append(out, n.serverProcess(p, id))
	}
	return out, nil
}

func (n *Network) serverProcess(p consortium.Package, packageID string) serverProcess {
	name := "cc-" + p.Label()
	return serverProcess{pkg: p, Process: fabricproc.Process{
		Name: name,
		Path: filepath.Join(n.Layout.ChaincodeBinDir(p), p.Chaincode),
		Dir:  n.Layout.ChaincodeBinDir(p),
		Env: []string{
			"CHAINCODE_SERVER_ADDRESS=" + n.Spec.ChaincodeListen(p),
			"CHAINCODE_ID=" + packageID,
		},
		PIDFile: n.Layout.PIDFile(name),
		LogFile: n.Layout.LogFile(name),
	}}
}

// startServer starts a chaincode server unless it runs and waits until it
// accepts connections.
func (n *Network) startServer(s serverProcess) error {
	if _, ok := fabricproc.Running(s.PIDFile, s.Path); ok {
		return nil
	}
	done := n.Progress.Step("start chaincode server %s on %s", s.pkg.Label(), n.Spec.ChaincodeListen(s.pkg))
	if err := fabricproc.CheckPortFree(n.Spec.ChaincodeListen(s.pkg), s.Name); err != nil {
		done("", err)
		return err
	}
	pid, _, err := s.Start()
	if err == nil {
		err = waitListening(n.Spec.ChaincodeListen(s.pkg), 15*time.Second, func() bool {
			_, ok := fabricproc.Running(s.PIDFile, s.Path)
			return ok
		})
		if err != nil {
			err = fmt.Errorf("%w; see %s", err, s.LogFile)
		}
	}
	if err != nil {
		done("", err)
		return err
	}
	done("pid "+strconv.Itoa(pid), nil)
	return nil
}

func waitListening(addr string, timeout time.Duration, alive func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if !alive() {
			return fmt.Errorf("chaincode server for %s exited", addr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s", addr, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// installServerBinary copies the chaincode binary from binDir into the
// package's own folder, once: a running version never changes under a later
// build.
func (n *Network) installServerBinary(p consortium.Package, binDir string) error {
	dst := filepath.Join(n.Layout.ChaincodeBinDir(p), p.Chaincode)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	src := filepath.Join(binDir, p.Chaincode)
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return &MissingChaincodeBinaryError{Chaincode: p.Chaincode, Dir: binDir}
	}
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// MissingChaincodeBinaryError reports a chaincode binary missing from the
// directory given to cc deploy.
type MissingChaincodeBinaryError struct {
	Chaincode, Dir string
}

func (e *MissingChaincodeBinaryError) Error() string {
	return fmt.Sprintf("chaincode binary %s not found in %s; build it with `make build` (into ./bin) or "+
		"`go build -o DIR ./chaincode/cmd/%s` and pass --cc-bin DIR", e.Chaincode, e.Dir, e.Chaincode)
}

// startServers starts the servers of the given packages (natively) or their
// containers (docker).
func (n *Network) startServers(ctx context.Context, pkgs []consortium.Package) error {
	if n.Spec.Runtime == consortium.Docker {
		var services []string
		for _, p := range pkgs {
			services = append(services, consortium.ChaincodeService(p))
		}
		return n.compose(ctx, append([]string{"up", "-d"}, services...)...)
	}
	for _, p := range pkgs {
		id, err := consortium.PackageID(n.Layout, p)
		if err != nil {
			return err
		}
		if err := n.startServer(n.serverProcess(p, id)); err != nil {
			return err
		}
	}
	return nil
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
