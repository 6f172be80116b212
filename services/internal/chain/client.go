package chain

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Client is a connection to the chain as one or more organisations. It is safe
// for concurrent use.
type Client struct {
	timeouts Timeouts
	retries  int
	conns    []*grpc.ClientConn
	ids      map[string]*Identity
	refs     []string
	gateways []*client.Gateway
}

// Option configures Connect.
type Option func(*options)

type options struct {
	signer SignerFactory
	dial   []grpc.DialOption
}

// WithSigner replaces the ECDSA signer with another, for example SM2 for a GM
// Fabric or a PKCS#11 HSM.
func WithSigner(f SignerFactory) Option { return func(o *options) { o.signer = f } }

// WithDialOptions adds gRPC dial options (interceptors, keepalive) to every
// peer connection.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Connect validates cfg, loads every identity and opens one gRPC connection
// per distinct gateway peer. It does not wait for the peers: gRPC connects
// lazily, and the first call reports an unreachable peer as a transient
// *Error.
func Connect(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{signer: ECDSASigner}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{timeouts: cfg.Timeouts.withDefaults(), retries: cfg.ConflictRetries, ids: map[string]*Identity{}}
	if c.retries == 0 {
		c.retries = DefaultConflictRetries
	}
	conns := map[string]*grpc.ClientConn{}
	for _, org := range cfg.Orgs {
		key := org.PeerEndpoint + "|" + org.TLSRootCert + "|" + org.PeerHostOverride
		conn, ok := conns[key]
		if !ok {
			var err error
			if conn, err = dial(org, o.dial); err != nil {
				c.Close()
				return nil, err
			}
			conns[key] = conn
			c.conns = append(c.conns, conn)
		}
		names := []string{""}
		for name := range org.Identities {
			names = append(names, name)
		}
		sort.Strings(names[1:])
		for _, name := range names {
			idc := IdentityConfig{CertPath: org.CertPath, KeyPath: org.KeyPath}
			if name != "" {
				idc = org.Identities[name]
			}
			id, err := c.newIdentity(org, name, idc, conn, o.signer)
			if err != nil {
				c.Close()
				return nil, err
			}
			c.ids[id.ref] = id
			c.refs = append(c.refs, id.ref)
		}
	}
	return c, nil
}

func dial(org OrgConfig, extra []grpc.DialOption) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if org.TLSRootCert != "" {
		pemData, err := os.ReadFile(org.TLSRootCert)
		if err != nil {
			return nil, fmt.Errorf("chain: %s: TLS root: %w", org.MSPID, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("chain: %s: TLS root %s holds no PEM certificate", org.MSPID, org.TLSRootCert)
		}
		serverName := org.PeerHostOverride
		if serverName == "" {
			host, _, err := net.SplitHostPort(org.PeerEndpoint)
			if err != nil {
				return nil, fmt.Errorf("chain: %s: peerEndpoint %q: %w", org.MSPID, org.PeerEndpoint, err)
			}
			serverName = host
		}
		creds = credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, extra...)
	conn, err := grpc.NewClient(org.PeerEndpoint, opts...)
	if err != nil {
		return nil, fmt.Errorf("chain: %s: dial %s: %w", org.MSPID, org.PeerEndpoint, err)
	}
	return conn, nil
}

func (c *Client) newIdentity(org OrgConfig, name string, idc IdentityConfig, conn *grpc.ClientConn, signer SignerFactory) (*Identity, error) {
	r := ref(org.MSPID, name)
	certPEM, err := readPEMPath(idc.CertPath)
	if err != nil {
		return nil, fmt.Errorf("chain: certificate of %s: %w", r, err)
	}
	if block, _ := pem.Decode(certPEM); block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("chain: certificate of %s: %s holds no PEM certificate", r, idc.CertPath)
	}
	sign, h, err := signer(org.MSPID, name, idc)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	gw, err := client.Connect(&certIdentity{mspID: org.MSPID, cert: certPEM},
		client.WithSign(sign), client.WithHash(h), client.WithClientConnection(conn))
	if err != nil {
		return nil, fmt.Errorf("chain: connect %s: %w", r, err)
	}
	c.gateways = append(c.gateways, gw)
	logical := map[string]string{}
	for name, deployed := range org.Chaincodes {
		logical[deployed] = name
	}
	return &Identity{client: c, ref: r, org: org, gw: gw, network: gw.GetNetwork(org.Channel), logical: logical}, nil
}

// Identity returns the identity with reference ref: "MSPID" for an
// organisation's default identity, "MSPID/name" for a named one.
func (c *Client) Identity(ref string) (*Identity, error) {
	if id, ok := c.ids[ref]; ok {
		return id, nil
	}
	return nil, fmt.Errorf("chain: no identity %q (have %s)", ref, strings.Join(c.refs, ", "))
}

// Identities returns the references of every configured identity, the first
// organisation's default identity first.
func (c *Client) Identities() []string { return append([]string(nil), c.refs...) }

// Contract is shorthand for Identity(ref) then Contract(chaincode).
func (c *Client) Contract(ref, chaincode string) (*Contract, error) {
	id, err := c.Identity(ref)
	if err != nil {
		return nil, err
	}
	return id.Contract(chaincode), nil
}

// Close closes every gateway and peer connection.
func (c *Client) Close() error {
	var errs []error
	for _, gw := range c.gateways {
		errs = append(errs, gw.Close())
	}
	for _, conn := range c.conns {
		errs = append(errs, conn.Close())
	}
	c.gateways, c.conns = nil, nil
	return errors.Join(errs...)
}

// ref renders an identity reference.
func ref(mspID, name string) string {
	if name == "" {
		return mspID
	}
	return mspID + "/" + name
}

// Identity is one signing identity of an organisation, connected through the
// organisation's gateway peer.
type Identity struct {
	client  *Client
	ref     string
	org     OrgConfig
	gw      *client.Gateway
	network *client.Network
	logical map[string]string
}

// Ref returns the identity's reference ("MSPID" or "MSPID/name").
func (id *Identity) Ref() string { return id.ref }

// MSPID returns the identity's organisation.
func (id *Identity) MSPID() string { return id.org.MSPID }

// Channel returns the channel the identity transacts on.
func (id *Identity) Channel() string { return id.org.Channel }

// Contract returns a Kaiban chaincode (model.ChaincodeSubject, ...) as this
// identity, under the name it is deployed as.
func (id *Identity) Contract(chaincode string) *Contract {
	deployed := id.org.Chaincode(chaincode)
	return &Contract{id: id, name: deployed, contract: id.network.GetContract(deployed)}
}

// logicalName maps a deployed chaincode name back to the Kaiban name.
func (id *Identity) logicalName(deployed string) string {
	if l, ok := id.logical[deployed]; ok {
		return l
	}
	return deployed
}
