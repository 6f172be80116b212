package gateway

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/deliver"
	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// Ledger is what the gateway needs of a channel's ledger.
type Ledger interface {
	deliver.Source
	// Snapshot returns a consistent view of committed state; it must be closed.
	Snapshot() (*ledger.Snapshot, error)
	// Broadcast enqueues an envelope for ordering.
	Broadcast(env *common.Envelope) error
	// TxStatus returns the status of a committed transaction, or ledger.ErrTxNotFound.
	TxStatus(txID string) (ledger.TxStatus, error)
	// WaitForTx waits for a transaction's block to be committed.
	WaitForTx(ctx context.Context, txID string) (ledger.TxStatus, error)
}

// Channel is one channel the gateway serves.
type Channel struct {
	// Name is the channel ID.
	Name string
	// Ledger is the channel's ledger.
	Ledger Ledger
	// Chaincodes are the chaincodes defined on the channel.
	Chaincodes txsim.Registry
	// ChaincodeVersion is the version stamped into proposal responses' ChaincodeId,
	// the version of the chaincode definitions; "1.0" when empty.
	ChaincodeVersion string
	// Members verifies identities of the channel's organisations.
	Members *msp.Verifier
	// Policy is the endorsement policy of the channel's chaincodes.
	Policy msp.EndorsementPolicy
	// Peers are the endorsing peers, one signing identity per organisation.
	Peers map[string]*msp.SigningIdentity
}

// Config configures a Server.
type Config struct {
	// Channels are the channels served, by name.
	Channels map[string]*Channel
	// LocalMSPID is the organisation of the gateway's own peer: its peer endorses
	// first and evaluates, as a Fabric gateway prefers its local peer.
	LocalMSPID string
	// Endpoint is the address reported in ErrorDetail entries for the peers and
	// orderer of devnet.
	Endpoint string
	// OrdererMSP is the ordering organisation named in ErrorDetail entries of Submit.
	OrdererMSP string
	// Observer, when set, is told the duration of each successful endorsement.
	Observer func(method string, d time.Duration)
}

// Server implements gateway.GatewayServer.
type Server struct {
	gp.UnimplementedGatewayServer
	cfg Config
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	for name, ch := range cfg.Channels {
		if ch.Ledger == nil || ch.Chaincodes == nil || ch.Members == nil {
			return nil, fmt.Errorf("gateway: channel %s: ledger, chaincodes and members are required", name)
		}
		if ch.Peers[cfg.LocalMSPID] == nil {
			return nil, fmt.Errorf("gateway: channel %s: no peer identity for the local org %s", name, cfg.LocalMSPID)
		}
		for _, org := range ch.Policy.Orgs {
			if ch.Peers[org] == nil {
				return nil, fmt.Errorf("gateway: channel %s: no peer identity for endorsing org %s", name, org)
			}
		}
	}
	return &Server{cfg: cfg}, nil
}

func (s *Server) channel(name string) (*Channel, bool) {
	ch, ok := s.cfg.Channels[name]
	return ch, ok
}

func (s *Server) observe(method string, start time.Time) {
	if s.cfg.Observer != nil {
		s.cfg.Observer(method, time.Since(start))
	}
}

// endorsingOrgs returns the organisations whose peers endorse by default: the
// local organisation first (when it endorses at all), then the others in policy
// order, as many as the policy requires.
func (ch *Channel) endorsingOrgs(local string) []string {
	need := ch.Policy.Required()
	orgs := make([]string, 0, need)
	if slices.Contains(ch.Policy.Orgs, local) {
		orgs = append(orgs, local)
	}
	for _, o := range ch.Policy.Orgs {
		if len(orgs) >= need {
			break
		}
		if o != local {
			orgs = append(orgs, o)
		}
	}
	return orgs
}

func (ch *Channel) version() string {
	if ch.ChaincodeVersion == "" {
		return "1.0"
	}
	return ch.ChaincodeVersion
}
