package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
)

// healthTimeout bounds the wait for a node's /healthz after it starts.
const healthTimeout = 90 * time.Second

// stopGrace is how long a node has to exit after SIGTERM.
const stopGrace = 15 * time.Second

// Up starts every node (orderers first) and every deployed chaincode server
// that is not running, and waits until each answers /healthz. Before
// starting anything it checks that the binaries exist and that no port a
// stopped node needs is taken, so a bad environment changes nothing.
func (n *Network) Up(ctx context.Context) error {
	n.Progress.Phase("up (%s)", n.Spec.Runtime)
	if n.Spec.Runtime == consortium.Docker {
		return n.dockerUp(ctx)
	}
	procs, err := n.nodeProcesses()
	if err != nil {
		return err
	}
	if err := checkPorts(procs); err != nil {
		return err
	}
	servers, err := n.serverProcesses()
	if err != nil {
		return err
	}
	for _, s := range servers {
		if _, ok := fabricproc.Running(s.PIDFile, s.Path); !ok {
			if err := fabricproc.CheckPortFree(n.Spec.ChaincodeListen(s.pkg), s.Name); err != nil {
				return err
			}
		}
	}
	for _, p := range procs {
		if err := n.startNode(ctx, p); err != nil {
			return err
		}
	}
	for _, s := range servers {
		if err := n.startServer(s); err != nil {
			return err
		}
	}
	return nil
}

// nodeProcess is a node's process and the addresses it will listen on.
type nodeProcess struct {
	fabricproc.Process
	ref   consortium.NodeRef
	ports []string
}

// nodeProcesses resolves the binaries and describes every node's process.
func (n *Network) nodeProcesses() ([]nodeProcess, error) {
	peerBin, err := fabricproc.FindBinary("peer")
	if err != nil {
		return nil, err
	}
	ordererBin, err := fabricproc.FindBinary("orderer")
	if err != nil {
		return nil, err
	}
	var out []nodeProcess
	for _, r := range n.Spec.Nodes() {
		out = append(out, n.nodeProcess(r, peerBin, ordererBin))
	}
	return out, nil
}

func (n *Network) nodeProcess(r consortium.NodeRef, peerBin, ordererBin string) nodeProcess {
	dir := n.Layout.NodeDir(r)
	p := nodeProcess{ref: r, Process: fabricproc.Process{
		Name:    r.Name(),
		Dir:     dir,
		Env:     []string{"FABRIC_CFG_PATH=" + dir},
		PIDFile: n.Layout.PIDFile(r.Name()),
		LogFile: n.Layout.LogFile(r.Name()),
	}}
	e := n.Spec.Endpoint(r)
	if r.IsOrderer() {
		p.Path = ordererBin
		p.ports = []string{e.External, e.Admin, e.Ops}
	} else {
		p.Path, p.Args = peerBin, []string{"node", "start"}
		// core.yaml names the container's absolute snapshot path; Fabric
		// accepts no relative one.
		p.Env = append(p.Env, "CORE_LEDGER_SNAPSHOTS_ROOTDIR="+filepath.Join(n.Layout.DataDir(r), "snapshots"))
		p.ports = []string{e.External, e.Ops, hostPort(n.Spec.Host, r.Node.ChaincodePort)}
	}
	return p
}

// startNode starts a node unless it runs, and waits for its health check.
func (n *Network) startNode(ctx context.Context, p nodeProcess) error {
	done := n.Progress.Step("start %s", p.Name)
	if err := os.MkdirAll(n.Layout.DataDir(p.ref), 0o755); err != nil {
		done("", err)
		return err
	}
	pid, started, err := p.Start()
	if err != nil {
		done("", err)
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	err = fabricproc.WaitHealthy(wctx, n.Spec.Endpoint(p.ref).Ops, func() error {
		if _, ok := fabricproc.Running(p.PIDFile, p.Path); !ok {
			return fmt.Errorf("%s exited; see %s", p.Name, p.LogFile)
		}
		return nil
	})
	if err == nil {
		// The operations endpoint answers before the node's gRPC listener is
		// up; a node is ready when both are.
		err = waitListening(n.Spec.Endpoint(p.ref).External, healthTimeout, func() bool {
			_, ok := fabricproc.Running(p.PIDFile, p.Path)
			return ok
		})
	}
	if err != nil {
		done("", err)
		return err
	}
	if started {
		done(fmt.Sprintf("pid %d, healthy", pid), nil)
	} else {
		done(fmt.Sprintf("already running (pid %d)", pid), nil)
	}
	return nil
}

// Down stops chaincode servers, peers and orderers. With purge it also
// deletes var/: ledgers, logs and chaincode binaries, so that the next up
// starts from empty ledgers (channels must be created and chaincodes
// deployed again).
func (n *Network) Down(ctx context.Context, purge bool) error {
	n.Progress.Phase("down (%s)", n.Spec.Runtime)
	if n.Spec.Runtime == consortium.Docker {
		if err := n.dockerDown(ctx, purge); err != nil {
			return err
		}
	} else {
		var errs []error
		servers, err := n.serverProcesses()
		if err != nil {
			return err
		}
		for _, s := range servers {
			errs = append(errs, n.stop(s.Name, s.PIDFile, s.Path))
		}
		peerBin, _ := fabricproc.FindBinary("peer")
		ordererBin, _ := fabricproc.FindBinary("orderer")
		nodes := n.Spec.Nodes()
		for i := len(nodes) - 1; i >= 0; i-- {
			p := n.nodeProcess(nodes[i], peerBin, ordererBin)
			errs = append(errs, n.stop(p.Name, p.PIDFile, ""))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if purge {
		done := n.Progress.Step("purge %s", n.Layout.VarDir())
		err := os.RemoveAll(n.Layout.VarDir())
		done("", err)
		return err
	}
	return nil
}

// stop ends one process; path "" accepts whatever executable runs under the
// PID file (the binary may have moved since it started).
func (n *Network) stop(name, pidFile, path string) error {
	if _, ok := fabricproc.Running(pidFile, path); !ok {
		_ = os.Remove(pidFile)
		return nil
	}
	done := n.Progress.Step("stop %s", name)
	_, err := fabricproc.Stop(pidFile, path, stopGrace)
	done("", err)
	return err
}

// checkPorts fails when a port of a node that is not running is taken.
func checkPorts(procs []nodeProcess) error {
	for _, p := range procs {
		// A node already running holds its own ports (p.Path may be empty:
		// then any executable under the PID file counts).
		if _, ok := fabricproc.Running(p.PIDFile, p.Path); ok {
			continue
		}
		for _, port := range p.ports {
			if err := fabricproc.CheckPortFree(port, p.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
