package devnet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/deliver"
	"github.com/kaiban-platform/kaiban/network/devnet/gateway"
	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// maxMsgSize is the gRPC message limit, Fabric's default of 100 MiB.
const maxMsgSize = 100 << 20

// streamWorkers is how many goroutines serve gRPC calls and are kept between
// calls: a call that finds one idle reuses its stack, already grown to the depth
// of an endorsement (gRPC, chaincode, JSON), instead of starting a goroutine
// whose stack grows by copying. Calls beyond it get their own goroutine.
const streamWorkers = 256

// Network is a running devnet.
type Network struct {
	cfg     Config
	crypto  cryptogen.Layout
	ledgers map[string]*ledger.Ledger
	tlsRoot []byte

	lis    net.Listener
	server *grpc.Server
	opsLis net.Listener
	ops    *http.Server
	served chan struct{}
}

// Start generates crypto material when the data directory has none, opens (or
// creates) each channel's ledger and serves the Gateway and Deliver services
// and the operations endpoint. It returns once the network accepts calls.
func Start(cfg Config) (*Network, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Network{cfg: cfg, crypto: cryptogen.Layout{Dir: filepath.Join(cfg.Dir, "crypto")}, ledgers: map[string]*ledger.Ledger{}}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := cryptogen.Generate(n.crypto.Dir, append(append([]cryptogen.OrgSpec(nil), cfg.Orgs...), *cfg.Orderer)); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	if err := n.start(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Network) start() error {
	cfg := n.cfg
	var orgs []msp.Org
	// Signatures verified at submission, and endorsements made by devnet's own
	// peers, are not verified again when their block is validated.
	sigs := msp.NewSignatureCache()
	peers := map[string]*msp.SigningIdentity{}
	var mspIDs []string
	for _, spec := range cfg.Orgs {
		m, err := n.crypto.Org(spec)
		if err != nil {
			return err
		}
		orgs = append(orgs, msp.OrgFromCryptogen(m))
		id, err := n.crypto.Node(spec, 0)
		if err != nil {
			return err
		}
		if peers[spec.MSPID], err = msp.FromCryptogen(id); err != nil {
			return err
		}
		peers[spec.MSPID].RememberIn(sigs)
		mspIDs = append(mspIDs, spec.MSPID)
	}
	members, err := msp.NewVerifier(orgs, msp.WithSignatureCache(sigs))
	if err != nil {
		return err
	}
	ordererID, err := n.crypto.Node(*cfg.Orderer, 0)
	if err != nil {
		return err
	}
	orderer, err := msp.FromCryptogen(ordererID)
	if err != nil {
		return err
	}
	policy := msp.EndorsementPolicy{Rule: cfg.Endorsement, Orgs: mspIDs}
	registry := txsim.Chaincodes(cfg.Chaincodes)
	m := newMetrics()

	gwChannels := map[string]*gateway.Channel{}
	dlChannels := map[string]*deliver.Channel{}
	for _, name := range cfg.Channels {
		l, err := ledger.Open(ledger.Config{
			Dir:          filepath.Join(cfg.Dir, "ledgers", name),
			ChannelID:    name,
			BatchSize:    cfg.BatchSize,
			BatchTimeout: cfg.BatchTimeout,
			Orderer:      ordererSigner{orderer},
			Identities:   members,
			Policy:       channelPolicy{members: members, policy: policy, chaincodes: registry},
			OnCommit:     m.onCommit(name),
		})
		if err != nil {
			return fmt.Errorf("devnet: channel %s: %w", name, err)
		}
		n.ledgers[name] = l
		m.height.WithLabelValues(name).Set(float64(l.Height()))
		gwChannels[name] = &gateway.Channel{Name: name, Ledger: l, Chaincodes: registry, Members: members, Policy: policy, Peers: peers}
		dlChannels[name] = &deliver.Channel{Ledger: l, Members: members}
	}

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	n.lis = lis
	gw, err := gateway.New(gateway.Config{
		Channels:   gwChannels,
		LocalMSPID: cfg.LocalMSPID,
		Endpoint:   lis.Addr().String(),
		OrdererMSP: cfg.Orderer.MSPID,
		Observer:   m.observeCall,
	})
	if err != nil {
		return err
	}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(maxMsgSize), grpc.MaxSendMsgSize(maxMsgSize), grpc.NumStreamWorkers(streamWorkers)}
	if cfg.TLS {
		creds, root, err := n.serverTLS()
		if err != nil {
			return err
		}
		n.tlsRoot = root
		opts = append(opts, grpc.Creds(creds))
	}
	n.server = grpc.NewServer(opts...)
	gp.RegisterGatewayServer(n.server, gw)
	peer.RegisterDeliverServer(n.server, deliver.NewServer(dlChannels))
	n.served = make(chan struct{})
	go func() {
		defer close(n.served)
		_ = n.server.Serve(lis)
	}()

	if cfg.OpsListen != "-" {
		if err := n.startOps(m); err != nil {
			return err
		}
	}
	return nil
}

// serverTLS makes TLS credentials from the local organisation's peer0 TLS
// certificate and returns the TLS CA that clients must trust.
func (n *Network) serverTLS() (credentials.TransportCredentials, []byte, error) {
	spec, _ := n.org(n.cfg.LocalMSPID)
	t, err := n.crypto.NodeTLS(spec, 0)
	if err != nil {
		return nil, nil, err
	}
	pair, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
	if err != nil {
		return nil, nil, err
	}
	return credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}), t.CAPEM, nil
}

func (n *Network) startOps(m *metrics) error {
	lis, err := net.Listen("tcp", n.cfg.OpsListen)
	if err != nil {
		return fmt.Errorf("devnet: operations endpoint: %w", err)
	}
	n.opsLis = lis
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "OK", "time": time.Now().UTC().Format(time.RFC3339Nano)})
	})
	n.ops = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = n.ops.Serve(lis) }()
	return nil
}

// Addr returns the gRPC address clients dial.
func (n *Network) Addr() string { return n.lis.Addr().String() }

// OpsAddr returns the address of the operations endpoint, or "" when disabled.
func (n *Network) OpsAddr() string {
	if n.opsLis == nil {
		return ""
	}
	return n.opsLis.Addr().String()
}

// TLSRootCert returns the PEM CA certificate clients trust for the gRPC
// server's certificate, or nil when TLS is off.
func (n *Network) TLSRootCert() []byte { return n.tlsRoot }

// TLSServerName is the host name the server certificate is issued for.
func (n *Network) TLSServerName() string {
	spec, _ := n.org(n.cfg.LocalMSPID)
	return spec.NodeName(0)
}

// Crypto returns the layout of the network's crypto material.
func (n *Network) Crypto() cryptogen.Layout { return n.crypto }

// Channels returns the channel names.
func (n *Network) Channels() []string { return append([]string(nil), n.cfg.Channels...) }

// User loads the signing identity of a user of an organisation.
func (n *Network) User(mspID, name string) (*cryptogen.Identity, error) {
	spec, ok := n.org(mspID)
	if !ok {
		return nil, fmt.Errorf("devnet: no organisation %s", mspID)
	}
	return n.crypto.User(spec, name)
}

// Ledger returns a channel's ledger, or nil.
func (n *Network) Ledger(channel string) *ledger.Ledger { return n.ledgers[channel] }

func (n *Network) org(mspID string) (cryptogen.OrgSpec, bool) {
	for _, o := range n.cfg.Orgs {
		if o.MSPID == mspID {
			return o, true
		}
	}
	return cryptogen.OrgSpec{}, false
}

// Close stops serving, commits the transactions already ordered and closes the
// ledgers.
func (n *Network) Close() error {
	if n.server != nil {
		stopped := make(chan struct{})
		go func() { n.server.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			// Event streams never end by themselves; cut them.
			n.server.Stop()
		}
		<-n.served
	}
	if n.ops != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = n.ops.Shutdown(ctx)
		cancel()
	}
	var errs []error
	for _, l := range n.ledgers {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// ClientTLSConfig returns a TLS client configuration trusting the network's
// server certificate, or nil when TLS is off.
func (n *Network) ClientTLSConfig() *tls.Config {
	if n.tlsRoot == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(n.tlsRoot)
	return &tls.Config{RootCAs: pool, ServerName: n.TLSServerName(), MinVersion: tls.VersionTLS12}
}
