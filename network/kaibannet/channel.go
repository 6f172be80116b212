package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/hyperledger/fabric-admin-sdk/pkg/channel"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/channelcfg"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/participation"
)

// readyTimeout bounds waits for a channel to become usable: a Raft leader,
// peers catching up, gossip across organisations.
const readyTimeout = 2 * time.Minute

// CreateChannels creates the named channels (every channel of the spec when
// none is named): the genesis block is built once and kept in channels/,
// every orderer joins through its participation API, the channel's
// configuration is brought in line with the spec and every peer joins.
func (n *Network) CreateChannels(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		names = channelNames(n.Spec)
	}
	for _, name := range names {
		if _, err := n.Spec.Channel(name); err != nil {
			return err
		}
	}
	if err := n.checkHealthy(ctx); err != nil {
		return err
	}
	for _, name := range names {
		n.Progress.Phase("channel %s", name)
		block, err := n.genesisBlock(name)
		if err != nil {
			return err
		}
		for _, r := range n.Spec.Orderers() {
			if err := n.joinOrderer(ctx, r, name, block); err != nil {
				return err
			}
		}
		if err := n.reconcileChannel(ctx, name); err != nil {
			return err
		}
		for _, r := range n.Spec.Peers() {
			if err := n.joinPeer(ctx, r, name, block); err != nil {
				return err
			}
		}
	}
	return nil
}

// genesisBlock returns the channel's genesis block from channels/, building
// and saving it the first time. The saved block is reused because a genesis
// block holds a random nonce: rebuilding it would make a different channel.
func (n *Network) genesisBlock(name string) (*cb.Block, error) {
	path := n.Layout.BlockFile(name)
	data, err := os.ReadFile(path)
	if err == nil {
		block := &cb.Block{}
		if err := proto.Unmarshal(data, block); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return block, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	done := n.Progress.Step("build genesis block %s", path)
	block, err := channelcfg.Genesis(n.Layout, n.Spec, name)
	if err == nil {
		data, err = proto.Marshal(block)
	}
	if err == nil {
		err = consortium.WriteFile(path, data, 0o644)
	}
	done("", err)
	return block, err
}

// joinOrderer makes an orderer join a channel unless it has.
func (n *Network) joinOrderer(ctx context.Context, r consortium.NodeRef, name string, block *cb.Block) error {
	done := n.Progress.Step("orderer %s joins %s", r.Name(), name)
	pc, err := n.participation(r)
	if err != nil {
		done("", err)
		return err
	}
	info, err := pc.Info(ctx, name)
	if err == nil {
		done(fmt.Sprintf("already joined (%s, %s, height %d)", info.ConsensusRelation, info.Status, info.Height), nil)
		return nil
	}
	if !errors.Is(err, participation.ErrNotFound) {
		done("", err)
		return err
	}
	info, err = pc.Join(ctx, block)
	if err != nil {
		done("", err)
		return err
	}
	done(fmt.Sprintf("%s, %s", info.ConsensusRelation, info.Status), nil)
	return nil
}

// joinPeer makes a peer join a channel unless it has.
func (n *Network) joinPeer(ctx context.Context, r consortium.NodeRef, name string, block *cb.Block) error {
	done := n.Progress.Step("peer %s joins %s", r.Name(), name)
	joined, err := n.peerJoined(ctx, r, name)
	if err != nil {
		done("", err)
		return err
	}
	if joined {
		done("already joined", nil)
		return nil
	}
	admin, err := n.adminSDK(r.Org)
	if err != nil {
		done("", err)
		return err
	}
	c, err := n.conn(r, r.Org)
	if err != nil {
		done("", err)
		return err
	}
	err = channel.JoinChannel(ctx, c, admin, block)
	done("", err)
	return err
}

// peerJoined reports whether a peer has joined a channel.
func (n *Network) peerJoined(ctx context.Context, r consortium.NodeRef, name string) (bool, error) {
	channels, err := n.peerChannels(ctx, r)
	if err != nil {
		return false, err
	}
	return slices.Contains(channels, name), nil
}

func (n *Network) peerChannels(ctx context.Context, r consortium.NodeRef) ([]string, error) {
	admin, err := n.adminSDK(r.Org)
	if err != nil {
		return nil, err
	}
	c, err := n.conn(r, r.Org)
	if err != nil {
		return nil, err
	}
	infos, err := channel.ListChannelOnPeer(ctx, c, admin)
	if err != nil {
		return nil, fmt.Errorf("list channels of %s: %w", r.Name(), err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.GetChannelId())
	}
	return names, nil
}

// reconcileChannel applies config updates until the channel's configuration
// agrees with the spec (channelcfg.Reconcile), one signed update at a time.
func (n *Network) reconcileChannel(ctx context.Context, name string) error {
	for range 16 {
		var cfg *cb.Config
		var block *cb.Block
		err := retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
			cfg, block, err = n.channelConfig(ctx, name)
			return err
		})
		if err != nil {
			return err
		}
		u, err := channelcfg.Reconcile(n.Layout, n.Spec, cfg, name)
		if err != nil {
			return fmt.Errorf("channel %s: %w", name, err)
		}
		if u == nil {
			return nil
		}
		done := n.Progress.Step("config update of %s: %v, signed by the admins of %v", name, u.Changes, u.Signers)
		env, err := u.Envelope(n.configSigners())
		if err == nil {
			err = retry(ctx, readyTimeout, func(ctx context.Context) error { return n.broadcast(ctx, env) })
		}
		if err == nil {
			err = n.waitConfigAfter(ctx, name, block.GetHeader().GetNumber())
		}
		done("", err)
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("channel %s: configuration still differs from network.yaml after 16 updates", name)
}

// waitConfigAfter waits until the channel's last config block is newer than
// block number after.
func (n *Network) waitConfigAfter(ctx context.Context, name string, after uint64) error {
	return retry(ctx, readyTimeout, func(ctx context.Context) error {
		block, err := n.configBlock(ctx, name)
		if err != nil {
			return err
		}
		if block.GetHeader().GetNumber() <= after {
			return fmt.Errorf("channel %s: config update not yet in a block", name)
		}
		return nil
	})
}

// createdChannels returns the channels of the spec that the ordering service
// has (a channel not created yet is left for channel create), as the first
// orderer that answers lists them.
func (n *Network) createdChannels(ctx context.Context) ([]string, error) {
	var errs []error
	for _, r := range n.Spec.Orderers() {
		pc, err := n.participation(r)
		if err != nil {
			return nil, err
		}
		list, err := pc.List(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name(), err))
			continue
		}
		var out []string
		for _, name := range channelNames(n.Spec) {
			if slices.ContainsFunc(list, func(c participation.ChannelInfo) bool { return c.Name == name }) {
				out = append(out, name)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("list channels: %w", errors.Join(errs...))
}
