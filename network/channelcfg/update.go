package channelcfg

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/orderer"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	ob "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/consortium"
)

// Update is a config update of one channel and the organisations whose admins
// must sign it to satisfy the modification policies of what it changes.
type Update struct {
	Channel string
	// Marshaled is the common.ConfigUpdate.
	Marshaled []byte
	// Signers are MSP IDs whose admin signatures the update needs.
	Signers []string
	// Changes says in words what the update does, for progress output.
	Changes []string
	// Updated is the configuration the channel has once the update applies.
	Updated *cb.Config
}

// Reconcile compares a channel's current configuration with the consortium
// and returns the update that brings it one step closer, or nil when they
// agree. One step is: the organisations of the spec that the channel lacks
// (A.2 member admission, signed by a majority of the current members'
// admins), anchor peers that differ (signed by their organisation's admin),
// and at most one consenter joining or leaving with the orderer endpoints
// (signed by the ordering organisation's admin) — Raft accepts one consenter
// change per config update, so callers apply updates until Reconcile returns
// nil. Organisations that the channel has and the spec does not are left
// alone: kaiban-net never removes a member by omission.
func Reconcile(l consortium.Layout, s *consortium.Spec, current *cb.Config, channel string) (*Update, error) {
	c := configtx.New(current)
	u := &Update{Channel: channel}
	app := c.Application()
	have, err := app.Configuration()
	if err != nil {
		return nil, fmt.Errorf("read application group: %w", err)
	}
	// members lists the channel's organisations in spec order (the operator
	// first), so that the majority that signs is predictable.
	var members []string
	for _, o := range s.Orgs {
		if slices.ContainsFunc(have.Organizations, func(h configtx.Organization) bool { return h.Name == o.MSPID }) {
			members = append(members, o.MSPID)
		}
	}
	var others []string
	for _, h := range have.Organizations {
		if !slices.Contains(members, h.Name) {
			others = append(others, h.Name)
		}
	}
	slices.Sort(others)
	members = append(members, others...)
	signers := map[string]bool{}
	var admitted bool
	for i := range s.Orgs {
		o := &s.Orgs[i]
		if !slices.Contains(members, o.MSPID) {
			org, err := Organization(l, s, o)
			if err != nil {
				return nil, err
			}
			if err := app.SetOrganization(org); err != nil {
				return nil, fmt.Errorf("add %s: %w", o.MSPID, err)
			}
			admitted = true
			u.Changes = append(u.Changes, "admit "+o.MSPID)
			continue
		}
		changed, err := reconcileAnchors(app.Organization(o.MSPID), AnchorPeers(s, o))
		if err != nil {
			return nil, fmt.Errorf("anchor peers of %s: %w", o.MSPID, err)
		}
		if changed {
			signers[o.MSPID] = true
			u.Changes = append(u.Changes, "anchor peers of "+o.MSPID)
		}
	}
	if admitted {
		for _, m := range Majority(members) {
			signers[m] = true
		}
	}
	ordChanged, changes, err := reconcileOrderers(l, s, &c)
	if err != nil {
		return nil, err
	}
	if ordChanged {
		signers[s.Orderer.MSPID] = true
		u.Changes = append(u.Changes, changes...)
	}
	if len(u.Changes) == 0 {
		return nil, nil
	}
	if u.Marshaled, err = c.ComputeMarshaledUpdate(channel); err != nil {
		return nil, fmt.Errorf("compute update: %w", err)
	}
	u.Updated = c.UpdatedConfig()
	for _, id := range append(members, s.Orderer.MSPID) {
		if signers[id] {
			u.Signers = append(u.Signers, id)
		}
	}
	return u, nil
}

// Majority returns the first ⌊n/2⌋+1 of the organisations: enough admins to
// satisfy an implicit-meta MAJORITY Admins policy over them.
func Majority(orgs []string) []string {
	return slices.Clone(orgs[:len(orgs)/2+1])
}

func reconcileAnchors(org *configtx.ApplicationOrg, want []configtx.Address) (bool, error) {
	have, err := org.AnchorPeers()
	if err != nil {
		return false, err
	}
	changed := false
	for _, a := range have {
		if !slices.Contains(want, a) {
			if err := org.RemoveAnchorPeer(a); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for _, a := range want {
		if !slices.Contains(have, a) {
			if err := org.AddAnchorPeer(a); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}

// reconcileOrderers makes at most one consenter change and brings the
// ordering organisation's endpoints in line with the spec.
func reconcileOrderers(l consortium.Layout, s *consortium.Spec, c *configtx.ConfigTx) (bool, []string, error) {
	var changes []string
	var err error
	if s.Consensus == consortium.BFT {
		changes, err = stepBFTConsenters(l, s, c.UpdatedConfig())
	} else {
		changes, err = stepRaftConsenters(l, s, c)
	}
	if err != nil {
		return false, nil, err
	}
	org := c.Orderer().Organization(s.Orderer.MSPID)
	if org == nil {
		return false, nil, fmt.Errorf("the channel has no orderer organisation %s", s.Orderer.MSPID)
	}
	cfg, err := org.Configuration()
	if err != nil {
		return false, nil, err
	}
	var want []string
	for _, r := range s.Orderers() {
		want = append(want, s.Endpoint(r).Internal)
	}
	for _, e := range cfg.OrdererEndpoints {
		if !slices.Contains(want, e) {
			a, err := address(e)
			if err != nil {
				return false, nil, err
			}
			if err := org.RemoveEndpoint(a); err != nil {
				return false, nil, err
			}
			changes = append(changes, "remove orderer endpoint "+e)
		}
	}
	for _, e := range want {
		if !slices.Contains(cfg.OrdererEndpoints, e) {
			a, err := address(e)
			if err != nil {
				return false, nil, err
			}
			if err := org.SetEndpoint(a); err != nil {
				return false, nil, err
			}
			changes = append(changes, "add orderer endpoint "+e)
		}
	}
	return len(changes) > 0, changes, nil
}

func address(hostPort string) (configtx.Address, error) {
	h, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		return configtx.Address{}, err
	}
	port, err := strconv.Atoi(p)
	return configtx.Address{Host: h, Port: port}, err
}

func stepRaftConsenters(l consortium.Layout, s *consortium.Spec, c *configtx.ConfigTx) ([]string, error) {
	ord := c.Orderer()
	cfg, err := ord.Configuration()
	if err != nil {
		return nil, err
	}
	if cfg.OrdererType != string(consortium.Raft) {
		return nil, fmt.Errorf("the channel's consensus is %s, the consortium's %s", cfg.OrdererType, s.Consensus)
	}
	want, err := raftConsenters(l, s)
	if err != nil {
		return nil, err
	}
	same := func(a, b orderer.Consenter) bool { return a.Address == b.Address }
	for _, h := range cfg.EtcdRaft.Consenters {
		if !slices.ContainsFunc(want, func(w orderer.Consenter) bool { return same(h, w) }) {
			if err := ord.RemoveConsenter(h); err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("remove consenter %s:%d", h.Address.Host, h.Address.Port)}, nil
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(cfg.EtcdRaft.Consenters, func(h orderer.Consenter) bool { return same(h, w) }) {
			if err := ord.AddConsenter(w); err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("add consenter %s:%d", w.Address.Host, w.Address.Port)}, nil
		}
	}
	return nil, nil
}

// stepBFTConsenters edits the BFT consenter mapping of the updated config by
// one consenter, recomputing the block validation policy.
func stepBFTConsenters(l consortium.Layout, s *consortium.Spec, updated *cb.Config) ([]string, error) {
	group := updated.ChannelGroup.Groups[configtx.OrdererGroupKey]
	ct := &ob.ConsensusType{}
	if v := group.Values[consensusTypeKey]; v != nil {
		if err := proto.Unmarshal(v.Value, ct); err != nil {
			return nil, err
		}
	}
	if ct.Type != string(consortium.BFT) {
		return nil, fmt.Errorf("the channel's consensus is %s, the consortium's %s", ct.Type, s.Consensus)
	}
	have := &cb.Orderers{}
	if v := group.Values[orderersKey]; v != nil {
		if err := proto.Unmarshal(v.Value, have); err != nil {
			return nil, err
		}
	}
	wantIDs := map[uint32]consortium.NodeRef{}
	for _, r := range s.Orderers() {
		wantIDs[ConsenterID(r.Node)] = r
	}
	haveIDs := map[uint32]bool{}
	for _, c := range have.ConsenterMapping {
		haveIDs[c.Id] = true
	}
	// Build a spec whose orderers are the current consenters plus or minus one,
	// and let setBFTConsenters write mapping and policy from it.
	step := *s
	step.Orderer.Nodes = nil
	var change string
	for _, c := range have.ConsenterMapping {
		if _, ok := wantIDs[c.Id]; !ok && change == "" {
			change = fmt.Sprintf("remove consenter %d (%s:%d)", c.Id, c.Host, c.Port)
			continue
		}
		r, ok := wantIDs[c.Id]
		if !ok {
			return nil, errors.New("a BFT consenter the consortium does not know cannot be kept while another leaves")
		}
		step.Orderer.Nodes = append(step.Orderer.Nodes, r.Node)
	}
	if change == "" {
		for _, r := range s.Orderers() {
			if !haveIDs[ConsenterID(r.Node)] {
				step.Orderer.Nodes = append(step.Orderer.Nodes, r.Node)
				change = fmt.Sprintf("add consenter %d (%s)", ConsenterID(r.Node), s.Endpoint(r).Internal)
				break
			}
		}
	}
	if change == "" {
		return nil, nil
	}
	return []string{change}, setBFTConsenters(l, &step, group)
}

// Envelope signs an update with the admins of its Signers (a config signature
// each) and wraps it in an envelope signed by the first of them, ready to be
// broadcast to an orderer.
func (u *Update) Envelope(admins map[string]*configtx.SigningIdentity) (*cb.Envelope, error) {
	if len(u.Signers) == 0 {
		return nil, errors.New("config update has no signers")
	}
	var sigs []*cb.ConfigSignature
	for _, id := range u.Signers {
		admin, ok := admins[id]
		if !ok {
			return nil, fmt.Errorf("config update of %s needs the signature of an admin of %s, whose key is not in this directory", u.Channel, id)
		}
		sig, err := admin.CreateConfigSignature(u.Marshaled)
		if err != nil {
			return nil, fmt.Errorf("sign as %s: %w", id, err)
		}
		sigs = append(sigs, sig)
	}
	env, err := configtx.NewEnvelope(u.Marshaled, sigs...)
	if err != nil {
		return nil, err
	}
	if err := admins[u.Signers[0]].SignEnvelope(env); err != nil {
		return nil, err
	}
	return env, nil
}
