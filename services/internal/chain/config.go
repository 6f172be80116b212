package chain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the ledger client's configuration: the organisations Kaiban acts
// for and how long each step of a call may take. kaiban fills an
// organisation from the chain section of its configuration, which is what
// the connection profiles kaiban-net writes hold, and a devnet's from
// [DevnetConfig].
type Config struct {
	// Orgs are the organisations Kaiban acts for, each through its own gateway
	// peer. A department's deployment has one; `kaiban dev`, which plays every
	// department, has all of them.
	Orgs []OrgConfig `json:"orgs" yaml:"orgs"`
	// Timeouts bound each step of a call.
	Timeouts Timeouts `json:"timeouts" yaml:"timeouts"`
	// ConflictRetries is how many times Contract.Submit endorses a transaction
	// again after it was invalidated by an MVCC or phantom read conflict.
	// Default 3; negative disables the retries.
	ConflictRetries int `json:"conflictRetries" yaml:"conflictRetries"`
}

// OrgConfig is one organisation: its gateway peer, its identities, the channel
// and the chaincode names.
type OrgConfig struct {
	// MSPID is the organisation's MSP ID, for example "OperatorMSP".
	MSPID string `json:"mspID" yaml:"mspID"`
	// PeerEndpoint is host:port of the peer whose Gateway service is used.
	PeerEndpoint string `json:"peerEndpoint" yaml:"peerEndpoint"`
	// PeerHostOverride is the TLS server name expected from the peer when
	// PeerEndpoint's host is not the name in its certificate (an IP address, a
	// port forward). Empty uses PeerEndpoint's host.
	PeerHostOverride string `json:"peerHostOverride" yaml:"peerHostOverride"`
	// TLSRootCert is a PEM file of the CA that issued the peer's TLS
	// certificate. Empty connects without TLS, which only a devnet started
	// without TLS accepts.
	TLSRootCert string `json:"tlsRootCert" yaml:"tlsRootCert"`
	// CertPath is the default identity's X.509 certificate: a PEM file, or an
	// MSP signcerts/ folder holding exactly one.
	CertPath string `json:"certPath" yaml:"certPath"`
	// KeyPath is the default identity's private key: a PEM file, or an MSP
	// keystore/ folder holding exactly one file. What it holds is up to the
	// signer (see WithSigner); the default reads an ECDSA key.
	KeyPath string `json:"keyPath" yaml:"keyPath"`
	// Channel is the channel the Kaiban chaincodes are deployed on.
	Channel string `json:"channel" yaml:"channel"`
	// Chaincodes maps a Kaiban chaincode (subject, asset, authorization,
	// approval) to the name it is deployed under; a missing entry means the
	// same name.
	Chaincodes map[string]string `json:"chaincodes,omitempty" yaml:"chaincodes,omitempty"`
	// Identities are further identities of the organisation by name, for
	// example a window clerk or a supervisor whose certificates carry the
	// kaiban.role attribute. They share the organisation's peer and channel.
	Identities map[string]IdentityConfig `json:"identities,omitempty" yaml:"identities,omitempty"`
}

// IdentityConfig is a named identity of an organisation.
type IdentityConfig struct {
	// CertPath is the X.509 certificate: a PEM file or a signcerts/ folder.
	CertPath string `json:"certPath" yaml:"certPath"`
	// KeyPath is the private key: a PEM file or a keystore/ folder.
	KeyPath string `json:"keyPath" yaml:"keyPath"`
}

// Timeouts bound each step of a call; the caller's context bounds them too.
// Zero fields take the defaults.
type Timeouts struct {
	// Evaluate bounds a query. Default 10s.
	Evaluate time.Duration `json:"evaluate" yaml:"evaluate"`
	// Endorse bounds collecting the endorsements of a transaction. Default 15s.
	Endorse time.Duration `json:"endorse" yaml:"endorse"`
	// Submit bounds handing an endorsed transaction to the ordering service.
	// Default 10s.
	Submit time.Duration `json:"submit" yaml:"submit"`
	// CommitStatus bounds waiting for the transaction's block to commit.
	// Default 60s.
	CommitStatus time.Duration `json:"commitStatus" yaml:"commitStatus"`
}

// Default timeouts.
const (
	DefaultEvaluateTimeout     = 10 * time.Second
	DefaultEndorseTimeout      = 15 * time.Second
	DefaultSubmitTimeout       = 10 * time.Second
	DefaultCommitStatusTimeout = 60 * time.Second
	DefaultConflictRetries     = 3
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Evaluate <= 0 {
		t.Evaluate = DefaultEvaluateTimeout
	}
	if t.Endorse <= 0 {
		t.Endorse = DefaultEndorseTimeout
	}
	if t.Submit <= 0 {
		t.Submit = DefaultSubmitTimeout
	}
	if t.CommitStatus <= 0 {
		t.CommitStatus = DefaultCommitStatusTimeout
	}
	return t
}

// Total is the longest a submit can take when every step uses its whole
// timeout.
func (t Timeouts) Total() time.Duration {
	t = t.withDefaults()
	return t.Endorse + t.Submit + t.CommitStatus
}

// Chaincode returns the name a Kaiban chaincode is deployed under.
func (o OrgConfig) Chaincode(name string) string {
	if deployed := o.Chaincodes[name]; deployed != "" {
		return deployed
	}
	return name
}

// Validate reports every missing or inconsistent field.
func (c Config) Validate() error {
	var errs []error
	if len(c.Orgs) == 0 {
		errs = append(errs, errors.New("chain: no organisation configured"))
	}
	seen := map[string]bool{}
	for i, o := range c.Orgs {
		name := o.MSPID
		if name == "" {
			name = fmt.Sprintf("orgs[%d]", i)
		}
		if seen[o.MSPID] {
			errs = append(errs, fmt.Errorf("chain: %s: configured twice", name))
		}
		seen[o.MSPID] = true
		for _, f := range []struct{ key, value string }{
			{"mspID", o.MSPID}, {"peerEndpoint", o.PeerEndpoint}, {"channel", o.Channel},
			{"certPath", o.CertPath}, {"keyPath", o.KeyPath},
		} {
			if f.value == "" {
				errs = append(errs, fmt.Errorf("chain: %s: %s is required", name, f.key))
			}
		}
		if strings.Contains(o.MSPID, "/") {
			errs = append(errs, fmt.Errorf("chain: %s: an MSP ID cannot contain '/'", name))
		}
		for id, ic := range o.Identities {
			if id == "" || strings.Contains(id, "/") {
				errs = append(errs, fmt.Errorf("chain: %s: identity name %q must be non-empty and without '/'", name, id))
			}
			if ic.CertPath == "" || ic.KeyPath == "" {
				errs = append(errs, fmt.Errorf("chain: %s/%s: certPath and keyPath are required", name, id))
			}
		}
	}
	return errors.Join(errs...)
}

// readPEMPath reads a file, or the single file of a folder (an MSP signcerts/
// or keystore/ folder, whose file names Fabric CA chooses).
func readPEMPath(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		var files []string
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, e.Name())
			}
		}
		if len(files) != 1 {
			return nil, fmt.Errorf("%s: want exactly one file, found %d", path, len(files))
		}
		path = filepath.Join(path, files[0])
	}
	return os.ReadFile(path)
}
