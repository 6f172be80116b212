package devnet

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// Defaults of Config.
const (
	DefaultListen       = "127.0.0.1:7051"
	DefaultOpsListen    = "127.0.0.1:9443"
	DefaultChannel      = "kaiban"
	DefaultBatchSize    = 500
	DefaultBatchTimeout = 2 * time.Second
	// LocalDomain is the DNS suffix of the default organisations.
	LocalDomain = "kaiban.local"
)

// Config configures a Network. Only Dir and Chaincodes are required.
type Config struct {
	// Dir is the data directory: crypto material under crypto/, one ledger per
	// channel under ledgers/<channel>/. It is created when missing.
	Dir string
	// Listen is the gRPC address of the Gateway and Deliver services; an empty
	// port (":0") picks a free one. Default DefaultListen.
	Listen string
	// OpsListen is the address of the operations endpoint (/healthz, /metrics).
	// Default DefaultOpsListen; "-" disables it.
	OpsListen string
	// TLS serves gRPC over TLS with a server certificate of the local
	// organisation's TLS CA (see Network.TLSRootCert); otherwise plaintext.
	TLS bool
	// Orgs are the peer organisations, members of every channel. Default DefaultOrgs.
	Orgs []cryptogen.OrgSpec
	// Orderer is the ordering organisation. Default DefaultOrderer.
	Orderer *cryptogen.OrgSpec
	// LocalMSPID is the organisation of the gateway's peer. Default the first of Orgs.
	LocalMSPID string
	// Channels are the channel names. Default {DefaultChannel}.
	Channels []string
	// Chaincodes are deployed on every channel, by name.
	Chaincodes map[string]shim.Chaincode
	// Endorsement is the endorsement policy rule of every chaincode over Orgs.
	// Default msp.Majority, like Fabric's default lifecycle policy.
	Endorsement msp.Rule
	// BatchSize is the most transactions in a block. Default DefaultBatchSize.
	BatchSize int
	// BatchTimeout is how long a pending transaction waits for its block to be cut.
	// Default DefaultBatchTimeout.
	BatchTimeout time.Duration
}

// DefaultOrgs returns the platform operator's organisation and one organisation
// per department of chaincode/model (market, seal, social, medical, housing-fund,
// bank, tax), each with an admin and a client user; the operator also has users
// carrying the platform roles clerk, supervisor and regulator.
func DefaultOrgs() []cryptogen.OrgSpec {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	base := []cryptogen.UserSpec{{Name: "Admin", Admin: true}, {Name: "User1"}}
	operator := append(append([]cryptogen.UserSpec(nil), base...),
		cryptogen.UserSpec{Name: "clerk", Attrs: map[string]string{"kaiban.role": "clerk"}},
		cryptogen.UserSpec{Name: "supervisor", Attrs: map[string]string{"kaiban.role": "supervisor"}},
		cryptogen.UserSpec{Name: "regulator", Attrs: map[string]string{"kaiban.role": "regulator"}},
	)
	orgs := []cryptogen.OrgSpec{{MSPID: "OperatorMSP", Domain: "operator." + LocalDomain, Hosts: hosts, Users: operator}}
	for _, d := range []struct{ msp, code string }{
		{"MarketMSP", "market"}, {"SealMSP", "seal"}, {"SocialMSP", "social"}, {"MedicalMSP", "medical"},
		{"HousingFundMSP", "housing-fund"}, {"BankMSP", "bank"}, {"TaxMSP", "tax"},
	} {
		orgs = append(orgs, cryptogen.OrgSpec{MSPID: d.msp, Domain: d.code + "." + LocalDomain, Hosts: hosts, Users: base})
	}
	return orgs
}

// DefaultOrderer returns the ordering organisation OrdererMSP.
func DefaultOrderer() cryptogen.OrgSpec {
	return cryptogen.OrgSpec{MSPID: "OrdererMSP", Domain: "orderer." + LocalDomain, Orderer: true, Hosts: []string{"localhost", "127.0.0.1", "::1"}}
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, fmt.Errorf("devnet: a data directory is required")
	}
	if len(c.Chaincodes) == 0 {
		return c, fmt.Errorf("devnet: at least one chaincode is required")
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.OpsListen == "" {
		c.OpsListen = DefaultOpsListen
	}
	if len(c.Orgs) == 0 {
		c.Orgs = DefaultOrgs()
	}
	if c.Orderer == nil {
		o := DefaultOrderer()
		c.Orderer = &o
	}
	if c.LocalMSPID == "" {
		c.LocalMSPID = c.Orgs[0].MSPID
	}
	if len(c.Channels) == 0 {
		c.Channels = []string{DefaultChannel}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchTimeout <= 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	for _, o := range c.Orgs {
		if o.Orderer {
			return c, fmt.Errorf("devnet: %s: peer organisations cannot be orderer organisations", o.MSPID)
		}
	}
	found := false
	for _, o := range c.Orgs {
		found = found || o.MSPID == c.LocalMSPID
	}
	if !found {
		return c, fmt.Errorf("devnet: local MSP %s is not one of the organisations", c.LocalMSPID)
	}
	return c, nil
}
