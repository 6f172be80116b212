package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/participation"
)

// AddNode adds a node to an organisation and returns its name: a peer for a
// member organisation (started, made an anchor peer, joined to every
// channel, given the deployed chaincodes) or an orderer for the ordering
// organisation (started, added to every channel's consenters and orderer
// endpoints, then joined through the participation API with the channel's
// latest config block, from which it replicates the chain).
func (n *Network) AddNode(ctx context.Context, mspID string) (string, error) {
	if _, err := n.Spec.Org(mspID); err != nil {
		return "", err
	}
	if err := n.checkHealthy(ctx); err != nil {
		return "", err
	}
	next := cloneSpec(n.Spec)
	ref, err := next.AddNode(mspID)
	if err != nil {
		return "", err
	}
	if err := n.checkNewNodePorts([]consortium.NodeRef{ref}); err != nil {
		return "", err
	}
	name := ref.Name()
	n.Progress.Phase("node add %s", name)
	*n.Spec = *next
	done := n.Progress.Step("crypto material and configuration of %s", name)
	err = n.save()
	done("", err)
	if err != nil {
		return "", err
	}
	ref, err = n.Spec.FindNode(name)
	if err != nil {
		return "", err
	}
	if err := n.startNewNodes(ctx, ref.Org); err != nil {
		return "", err
	}
	channels, err := n.createdChannels(ctx)
	if err != nil {
		return name, err
	}
	for _, ch := range channels {
		if err := n.reconcileChannel(ctx, ch); err != nil {
			return name, err
		}
		if ref.IsOrderer() {
			if err := n.joinNewOrderer(ctx, ref, ch); err != nil {
				return name, err
			}
			continue
		}
		if err := n.joinOrgPeers(ctx, ref.Org, ch); err != nil {
			return name, err
		}
		if err := n.catchUpChaincodes(ctx, ch); err != nil {
			return name, err
		}
	}
	return name, nil
}

// joinNewOrderer joins an orderer to a channel with the channel's latest
// config block and waits until it has caught up and is active.
func (n *Network) joinNewOrderer(ctx context.Context, r consortium.NodeRef, channel string) error {
	block, err := n.configBlock(ctx, channel)
	if err != nil {
		return err
	}
	if err := n.joinOrderer(ctx, r, channel, block); err != nil {
		return err
	}
	pc, err := n.participation(r)
	if err != nil {
		return err
	}
	done := n.Progress.Step("wait until %s is active on %s", r.Name(), channel)
	var info *participation.ChannelInfo
	err = retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
		info, err = pc.Info(ctx, channel)
		if err == nil && info.Status != "active" {
			err = fmt.Errorf("%s is %s on %s (height %d)", r.Name(), info.Status, channel, info.Height)
		}
		return err
	})
	if err != nil {
		done("", err)
		return err
	}
	done(fmt.Sprintf("%s, height %d", info.ConsensusRelation, info.Height), nil)
	return nil
}

// RemoveNode takes a node out of the network: every channel's configuration
// stops naming it (anchor peer, or consenter and orderer endpoint), an
// orderer leaves its channels, the process stops, and only then is the node
// taken out of network.yaml and its configuration folder deleted (its ledger
// stays in var/ until down --purge, its crypto material stays so that its
// certificate can be revoked). A removal that stopped half way is finished by
// running the command again.
func (n *Network) RemoveNode(ctx context.Context, name string) error {
	ref, err := n.Spec.FindNode(name)
	if err != nil {
		return err
	}
	next := cloneSpec(n.Spec)
	if err := next.RemoveNode(name); err != nil {
		return err
	}
	if err := n.checkHealthy(ctx); err != nil {
		return err
	}
	n.Progress.Phase("node remove %s", name)
	// ref keeps the node's ports for the last steps; the network is driven
	// with the spec that no longer has it.
	ref = consortium.NodeRef{Org: &consortium.Org{MSPID: ref.Org.MSPID, Domain: ref.Org.Domain, Kind: ref.Org.Kind}, Node: ref.Node}
	old := n.Spec
	n.Spec = next
	channels, err := n.createdChannels(ctx)
	if err != nil {
		n.Spec = old
		return err
	}
	for _, ch := range channels {
		if err := n.reconcileChannel(ctx, ch); err != nil {
			n.Spec = old
			return err
		}
	}
	if ref.IsOrderer() {
		if err := n.leaveChannels(ctx, ref); err != nil {
			n.Spec = old
			return err
		}
	}
	if err := n.stopRemoved(ctx, name); err != nil {
		n.Spec = old
		return err
	}
	done := n.Progress.Step("remove %s from network.yaml and its configuration", name)
	err = consortium.Save(n.Layout, n.Spec)
	if err == nil {
		err = os.RemoveAll(n.Layout.NodeDir(ref))
	}
	if err == nil {
		err = consortium.Render(n.Layout, n.Spec)
	}
	done("", err)
	return err
}

// stopRemoved stops a node being removed: its process, or its container
// while the compose file still lists it.
func (n *Network) stopRemoved(ctx context.Context, name string) error {
	if n.Spec.Runtime == consortium.Native {
		return n.stop(name, n.Layout.PIDFile(name), "")
	}
	done := n.Progress.Step("remove container %s", name)
	err := n.compose(ctx, "rm", "--stop", "--force", name)
	done("", err)
	return err
}

// leaveChannels removes every channel from a departing orderer.
func (n *Network) leaveChannels(ctx context.Context, r consortium.NodeRef) error {
	pc, err := n.participation(r)
	if err != nil {
		return err
	}
	channels, err := n.createdChannels(ctx)
	if err != nil {
		return err
	}
	for _, ch := range channels {
		done := n.Progress.Step("orderer %s leaves %s", r.Name(), ch)
		err := pc.Remove(ctx, ch)
		if errors.Is(err, participation.ErrNotFound) {
			done("already left", nil)
			continue
		}
		done("", err)
		if err != nil {
			return err
		}
	}
	return nil
}

// cloneSpec copies a spec deeply enough that node and org edits on the copy
// leave the original alone.
func cloneSpec(s *consortium.Spec) *consortium.Spec {
	c := *s
	c.Orgs = append([]consortium.Org(nil), s.Orgs...)
	for i := range c.Orgs {
		c.Orgs[i].Nodes = append([]consortium.Node(nil), c.Orgs[i].Nodes...)
	}
	c.Orderer.Nodes = append([]consortium.Node(nil), s.Orderer.Nodes...)
	c.Channels = append([]consortium.Channel(nil), s.Channels...)
	c.Packages = append([]consortium.Package(nil), s.Packages...)
	return &c
}
