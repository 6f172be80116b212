package chain

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
)

// DevnetConfig returns the configuration that reaches a devnet with the
// default organisations (devnet.DefaultOrgs) and channel, whether it runs in
// this process (devnet.Start) or as `kaiban-net devnet --data dir`: dir is
// its data folder, endpoint its gRPC address and tls whether it serves TLS.
//
// Every organisation acts through its client user User1 by default; every
// user of the organisation (Admin, User1, and the operator's clerk,
// supervisor and regulator) is also available by name, for example
// "OperatorMSP/clerk". The paths are those of the MSP layout devnet
// generated, so the result is what a profile file for devnet would hold.
func DevnetConfig(dir, endpoint string, tls bool) (Config, error) {
	layout := cryptogen.Layout{Dir: filepath.Join(dir, "crypto")}
	orgs := devnet.DefaultOrgs()
	local := orgs[0]
	var cfg Config
	for _, o := range orgs {
		org := OrgConfig{
			MSPID:        o.MSPID,
			PeerEndpoint: endpoint,
			Channel:      devnet.DefaultChannel,
			Identities:   map[string]IdentityConfig{},
		}
		if tls {
			// devnet serves with the local organisation's peer0 TLS certificate.
			org.TLSRootCert = filepath.Join(layout.TLSCADir(local), "tlsca."+local.Domain+"-cert.pem")
			org.PeerHostOverride = local.NodeName(0)
		}
		for _, u := range o.Users {
			msp := filepath.Join(layout.UserDir(o, u.Name), "msp")
			id := IdentityConfig{CertPath: filepath.Join(msp, "signcerts"), KeyPath: filepath.Join(msp, "keystore")}
			org.Identities[u.Name] = id
			if u.Name == "User1" {
				org.CertPath, org.KeyPath = id.CertPath, id.KeyPath
			}
		}
		cfg.Orgs = append(cfg.Orgs, org)
	}
	if _, err := os.Stat(cfg.Orgs[0].CertPath); err != nil {
		return Config{}, fmt.Errorf("chain: no devnet crypto material under %s: %w", dir, err)
	}
	return cfg, nil
}
