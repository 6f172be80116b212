// Package channelcfg builds the channel configuration of a Kaiban consortium
// with github.com/hyperledger/fabric-config: the genesis block of an
// application channel (organisations with NodeOU MSPs, anchor peers and
// orderer endpoints, majority policies, etcdraft or SmartBFT consenters,
// Fabric 3 capabilities) and the config updates of Annex A.2 — a new member
// organisation, anchor peers, consenters joining or leaving — with the
// signatures their modification policies need.
//
// Policies: every channel-level Admins policy is a MAJORITY of the member
// organisations' admins, so admitting a member takes a majority vote (A.2);
// Endorsement and LifecycleEndorsement are a MAJORITY of the organisations'
// peers, so a chaincode definition and every transaction need a majority.
package channelcfg
