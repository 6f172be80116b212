package kaibannet

import (
	"io"
	"sync"

	"google.golang.org/grpc"

	"github.com/kaiban-platform/kaiban/network/consortium"
)

// Network is a consortium directory and the connections kaiban-net opens to
// its nodes. Methods that change the Spec save network.yaml before they
// touch the network, so a later command knows what was started.
type Network struct {
	Spec     *consortium.Spec
	Layout   consortium.Layout
	Progress *Progress

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// Open loads the consortium of dir; progress lines go to out (nil: none).
func Open(dir string, out io.Writer) (*Network, error) {
	s, l, err := consortium.Load(dir)
	if err != nil {
		return nil, err
	}
	return &Network{Spec: s, Layout: l, Progress: NewProgress(out), conns: map[string]*grpc.ClientConn{}}, nil
}

// Init creates (or completes) the consortium directory dir: network.yaml,
// crypto material, member keys, node configurations, builder, profiles.
func Init(dir string, opts consortium.Options, out io.Writer) (*Network, error) {
	p := NewProgress(out)
	p.Phase("init %s", dir)
	done := p.Step("consortium, crypto material and configuration")
	s, l, err := consortium.Init(dir, opts)
	done("", err)
	if err != nil {
		return nil, err
	}
	p.Note("%d member organisations, %d orderers (%s), channels %s", len(s.Orgs), len(s.Orderer.Nodes), s.Consensus, channelNames(s))
	return &Network{Spec: s, Layout: l, Progress: p, conns: map[string]*grpc.ClientConn{}}, nil
}

func channelNames(s *consortium.Spec) []string {
	var names []string
	for _, c := range s.Channels {
		names = append(names, c.Name)
	}
	return names
}

// Close closes the connections to the nodes.
func (n *Network) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, c := range n.conns {
		_ = c.Close()
		delete(n.conns, k)
	}
	return nil
}

// save writes network.yaml and renders the derived files again.
func (n *Network) save() error {
	if err := consortium.Materialize(n.Layout, n.Spec); err != nil {
		return err
	}
	return consortium.Save(n.Layout, n.Spec)
}
