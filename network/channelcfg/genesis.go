package channelcfg

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/orderer"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/cryptogen"
)

// Capabilities of the orderer and application groups; the channel's own
// capability is Spec.ChannelCapability (V3_0 on Fabric 3).
const (
	OrdererCapability     = "V2_0"
	ApplicationCapability = "V2_5"
)

// Block sizes of every channel: a block holds at most Spec.MaxMessageCount
// transactions and is cut early once it passes PreferredMaxBytes.
const (
	absoluteMaxBytes  = 10 * 1024 * 1024
	preferredMaxBytes = 2 * 1024 * 1024
)

// Config returns the channel configuration of the consortium: every member
// organisation in the application group, the ordering organisation and its
// consenters in the orderer group.
func Config(l consortium.Layout, s *consortium.Spec) (configtx.Channel, error) {
	var apps []configtx.Organization
	for i := range s.Orgs {
		org, err := Organization(l, s, &s.Orgs[i])
		if err != nil {
			return configtx.Channel{}, err
		}
		apps = append(apps, org)
	}
	ordOrg, err := OrdererOrganization(l, s)
	if err != nil {
		return configtx.Channel{}, err
	}
	raft, err := raftConsenters(l, s)
	if err != nil {
		return configtx.Channel{}, err
	}
	return configtx.Channel{
		Capabilities: []string{s.ChannelCapability},
		Policies: map[string]configtx.Policy{
			configtx.ReadersPolicyKey: implicit("ANY Readers"),
			configtx.WritersPolicyKey: implicit("ANY Writers"),
			configtx.AdminsPolicyKey:  implicit("MAJORITY Admins"),
		},
		Application: configtx.Application{
			Organizations: apps,
			Capabilities:  []string{ApplicationCapability},
			Policies: map[string]configtx.Policy{
				configtx.ReadersPolicyKey:              implicit("ANY Readers"),
				configtx.WritersPolicyKey:              implicit("ANY Writers"),
				configtx.AdminsPolicyKey:               implicit("MAJORITY Admins"),
				configtx.LifecycleEndorsementPolicyKey: implicit("MAJORITY Endorsement"),
				configtx.EndorsementPolicyKey:          implicit("MAJORITY Endorsement"),
			},
		},
		Orderer: configtx.Orderer{
			OrdererType:  orderer.ConsensusTypeEtcdRaft,
			BatchTimeout: time.Duration(s.BatchTimeout),
			BatchSize: orderer.BatchSize{
				MaxMessageCount:   s.MaxMessageCount,
				AbsoluteMaxBytes:  absoluteMaxBytes,
				PreferredMaxBytes: preferredMaxBytes,
			},
			EtcdRaft: orderer.EtcdRaft{
				Consenters: raft,
				Options: orderer.EtcdRaftOptions{
					TickInterval:         "500ms",
					ElectionTick:         10,
					HeartbeatTick:        1,
					MaxInflightBlocks:    5,
					SnapshotIntervalSize: 16 * 1024 * 1024,
				},
			},
			Organizations: []configtx.Organization{ordOrg},
			Capabilities:  []string{OrdererCapability},
			Policies: map[string]configtx.Policy{
				configtx.ReadersPolicyKey:         implicit("ANY Readers"),
				configtx.WritersPolicyKey:         implicit("ANY Writers"),
				configtx.AdminsPolicyKey:          implicit("MAJORITY Admins"),
				configtx.BlockValidationPolicyKey: implicit("ANY Writers"),
			},
			State: orderer.ConsensusStateNormal,
		},
	}, nil
}

// raftConsenters are the orderers as etcdraft consenters, addressed by their
// internal endpoints and identified by their TLS certificates.
func raftConsenters(l consortium.Layout, s *consortium.Spec) ([]orderer.Consenter, error) {
	var cs []orderer.Consenter
	for _, r := range s.Orderers() {
		c, err := raftConsenter(l, s, r)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func raftConsenter(l consortium.Layout, s *consortium.Spec, r consortium.NodeRef) (orderer.Consenter, error) {
	pemCert, err := ordererTLSCertPEM(l, s, r)
	if err != nil {
		return orderer.Consenter{}, err
	}
	cert, err := cryptogen.ParseCertPEM(pemCert)
	if err != nil {
		return orderer.Consenter{}, err
	}
	host, port := s.Endpoint(r).InternalHostPort()
	return orderer.Consenter{Address: orderer.EtcdAddress{Host: host, Port: port}, ClientTLSCert: cert, ServerTLSCert: cert}, nil
}

// Genesis builds the genesis block of an application channel. For BFT the
// etcdraft orderer group fabric-config builds is turned into a SmartBFT one
// (fabric-config v0.3.0 knows only etcdraft).
func Genesis(l consortium.Layout, s *consortium.Spec, channel string) (*cb.Block, error) {
	if _, err := s.Channel(channel); err != nil {
		return nil, err
	}
	cfg, err := Config(l, s)
	if err != nil {
		return nil, err
	}
	block, err := configtx.NewApplicationChannelGenesisBlock(cfg, channel)
	if err != nil {
		return nil, fmt.Errorf("genesis block of %s: %w", channel, err)
	}
	// fabric-config leaves anchor peers out of a genesis block (it sets them
	// only through updates) and knows no SmartBFT; both are written here.
	return rewriteConfig(block, func(c *cb.Config) error {
		if err := setAnchorPeers(s, c.ChannelGroup.Groups[configtx.ApplicationGroupKey]); err != nil {
			return err
		}
		if s.Consensus == consortium.BFT {
			return setBFT(l, s, c.ChannelGroup.Groups[configtx.OrdererGroupKey])
		}
		return nil
	})
}

// setAnchorPeers writes every organisation's anchor peers into the
// application group of a new channel.
func setAnchorPeers(s *consortium.Spec, app *cb.ConfigGroup) error {
	for i := range s.Orgs {
		o := &s.Orgs[i]
		group := app.Groups[o.MSPID]
		if group == nil {
			return fmt.Errorf("application group has no organisation %s", o.MSPID)
		}
		anchors := &pb.AnchorPeers{}
		for _, a := range AnchorPeers(s, o) {
			anchors.AnchorPeers = append(anchors.AnchorPeers, &pb.AnchorPeer{Host: a.Host, Port: int32(a.Port)})
		}
		if err := putValue(group, configtx.AnchorPeersKey, anchors); err != nil {
			return err
		}
	}
	return nil
}
