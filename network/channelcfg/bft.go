package channelcfg

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspb "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	ob "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/smartbft"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/consortium"
)

// Keys of the orderer group that fabric-config does not name.
const (
	consensusTypeKey = "ConsensusType"
	orderersKey      = "Orderers"
)

// ConsenterID is the SmartBFT ID of an orderer: its index plus one, so that an
// orderer keeps its ID while others join and leave.
func ConsenterID(n consortium.Node) uint32 { return uint32(n.Index) + 1 }

// setBFT turns an orderer group into a SmartBFT one: consensus type BFT with
// options derived from the spec's batch settings, the consenter mapping and
// the block validation policy of a BFT quorum of consenter signatures.
func setBFT(l consortium.Layout, s *consortium.Spec, group *cb.ConfigGroup) error {
	opts := &smartbft.Options{
		RequestBatchMaxCount:      uint64(s.MaxMessageCount),
		RequestBatchMaxBytes:      absoluteMaxBytes,
		RequestBatchMaxInterval:   time.Duration(s.BatchTimeout).String(),
		IncomingMessageBufferSize: 200,
		RequestPoolSize:           100000,
		RequestForwardTimeout:     "2s",
		RequestComplainTimeout:    "20s",
		RequestAutoRemoveTimeout:  "3m0s",
		ViewChangeResendInterval:  "5s",
		ViewChangeTimeout:         "20s",
		LeaderHeartbeatTimeout:    "1m0s",
		LeaderHeartbeatCount:      10,
		CollectTimeout:            "1s",
		LeaderRotation:            smartbft.Options_ROTATION_OFF,
		DecisionsPerLeader:        3,
	}
	meta, err := proto.Marshal(opts)
	if err != nil {
		return err
	}
	if err := putValue(group, consensusTypeKey, &ob.ConsensusType{Type: string(consortium.BFT), Metadata: meta, State: ob.ConsensusType_STATE_NORMAL}); err != nil {
		return err
	}
	return setBFTConsenters(l, s, group)
}

// setBFTConsenters writes the spec's orderers as the consenter mapping and
// recomputes the block validation policy from them.
func setBFTConsenters(l consortium.Layout, s *consortium.Spec, group *cb.ConfigGroup) error {
	var mapping []*cb.Consenter
	for _, r := range s.Orderers() {
		tlsCert, err := ordererTLSCertPEM(l, s, r)
		if err != nil {
			return err
		}
		identity, err := ordererIdentityPEM(l, s, r)
		if err != nil {
			return err
		}
		host, port := s.Endpoint(r).InternalHostPort()
		mapping = append(mapping, &cb.Consenter{
			Id: ConsenterID(r.Node), Host: host, Port: uint32(port), MspId: r.Org.MSPID,
			Identity: identity, ClientTlsCert: tlsCert, ServerTlsCert: tlsCert,
		})
	}
	if err := putValue(group, orderersKey, &cb.Orderers{ConsenterMapping: mapping}); err != nil {
		return err
	}
	policy, err := bftBlockValidation(mapping)
	if err != nil {
		return err
	}
	mod := configtx.AdminsPolicyKey
	if old := group.Policies[configtx.BlockValidationPolicyKey]; old != nil && old.ModPolicy != "" {
		mod = old.ModPolicy
	}
	group.Policies[configtx.BlockValidationPolicyKey] = &cb.ConfigPolicy{ModPolicy: mod, Policy: policy}
	return nil
}

// BFTQuorum is the number of consenter signatures a block needs among n
// consenters: ceil((n + f + 1) / 2) with f = (n - 1) / 3 faulty nodes.
func BFTQuorum(n int) int {
	f := (n - 1) / 3
	return (n + f + 2) / 2
}

// bftBlockValidation is a signature policy requiring BFTQuorum of the
// consenters' identities, as Fabric computes it for BFT channels.
func bftBlockValidation(consenters []*cb.Consenter) (*cb.Policy, error) {
	env := &cb.SignaturePolicyEnvelope{}
	var rules []*cb.SignaturePolicy
	for i, c := range consenters {
		id, err := proto.Marshal(&mspb.SerializedIdentity{Mspid: c.MspId, IdBytes: c.Identity})
		if err != nil {
			return nil, err
		}
		env.Identities = append(env.Identities, &mspb.MSPPrincipal{PrincipalClassification: mspb.MSPPrincipal_IDENTITY, Principal: id})
		rules = append(rules, &cb.SignaturePolicy{Type: &cb.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	env.Rule = &cb.SignaturePolicy{Type: &cb.SignaturePolicy_NOutOf_{NOutOf: &cb.SignaturePolicy_NOutOf{N: int32(BFTQuorum(len(consenters))), Rules: rules}}}
	value, err := proto.Marshal(env)
	if err != nil {
		return nil, err
	}
	return &cb.Policy{Type: int32(cb.Policy_SIGNATURE), Value: value}, nil
}

// putValue sets a value of a config group, keeping its modification policy
// when it exists and using Admins otherwise.
func putValue(group *cb.ConfigGroup, key string, m proto.Message) error {
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", key, err)
	}
	mod := configtx.AdminsPolicyKey
	if old := group.Values[key]; old != nil && old.ModPolicy != "" {
		mod = old.ModPolicy
	}
	if group.Values == nil {
		group.Values = map[string]*cb.ConfigValue{}
	}
	group.Values[key] = &cb.ConfigValue{ModPolicy: mod, Value: data}
	return nil
}
