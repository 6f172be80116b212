package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"

	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/lifecycle"
)

// DeployOptions choose what cc deploy and cc upgrade do.
type DeployOptions struct {
	// Channels to deploy on; cc deploy defaults to every channel, cc upgrade
	// to the test channel (A.4: test first, then promote).
	Channels []string
	// Version of the chaincodes, e.g. "1.0".
	Version string
	// Chaincodes to deploy; default every chaincode of the spec.
	Chaincodes []string
	// BinDir holds the chaincode binaries (subject, asset, ...) that the
	// native runtime serves; ignored by the docker runtime, whose chaincode
	// image holds them.
	BinDir string
}

// VersionConflictError reports a chaincode committed at another version
// than the one asked for, when the command may not change it.
type VersionConflictError struct {
	Chaincode, Channel, Have, Want, Hint string
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("chaincode %s is at version %s on %s, not %s; %s", e.Chaincode, e.Have, e.Channel, e.Want, e.Hint)
}

// mode says how a definition may relate to what a channel has committed.
type mode int

const (
	modeDeploy  mode = iota // first definition, or the same version again
	modeUpgrade             // a committed chaincode gets a new version
)

// Deploy packages the chaincodes as a service, installs them on every peer,
// has every organisation approve, commits the definitions (sequence 1, with
// the channel's MAJORITY endorsement policy) and starts the chaincode
// servers; then it writes the founding members' records on chain through the
// subject chaincode. Running it again completes what is missing — a new
// member's approval, a peer without the package — and changes nothing else.
func (n *Network) Deploy(ctx context.Context, opts DeployOptions) error {
	if len(opts.Channels) == 0 {
		opts.Channels = channelNames(n.Spec)
	}
	return n.define(ctx, opts, modeDeploy)
}

// Upgrade defines a new version of the chaincodes on the channels (the test
// channel by default) with the next sequence. Running it again with the same
// version finishes an interrupted upgrade.
func (n *Network) Upgrade(ctx context.Context, opts DeployOptions) error {
	if len(opts.Channels) == 0 {
		test, err := n.Spec.TestChannel()
		if err != nil {
			return err
		}
		opts.Channels = []string{test.Name}
	}
	return n.define(ctx, opts, modeUpgrade)
}

// Promote defines on the production channel (to) the versions the test
// channel (from) runs (A.4: tested, then released). The packages are the
// same, so the production channel uses the servers already running.
func (n *Network) Promote(ctx context.Context, from, to string, chaincodes []string) error {
	if err := n.checkChannels(from, to); err != nil {
		return err
	}
	if len(chaincodes) == 0 {
		chaincodes = n.Spec.Chaincodes
	}
	for _, cc := range chaincodes {
		if err := n.Spec.CheckChaincode(cc); err != nil {
			return err
		}
	}
	if err := n.checkHealthy(ctx); err != nil {
		return err
	}
	op, err := n.Spec.Operator()
	if err != nil {
		return err
	}
	gw, err := n.lifecycleGateway(op)
	if err != nil {
		return err
	}
	n.Progress.Phase("promote %v from %s to %s", chaincodes, from, to)
	for _, cc := range chaincodes {
		if err := n.Spec.CheckChaincode(cc); err != nil {
			return err
		}
		var def *lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition
		err := retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
			def, err = lifecycle.Committed(ctx, gw, from, cc)
			return err
		})
		if err != nil {
			return err
		}
		if def == nil {
			return fmt.Errorf("chaincode %s is not deployed on %s; nothing to promote", cc, from)
		}
		if err := n.defineOne(ctx, to, cc, def.GetVersion(), "", modeUpgrade, true); err != nil {
			return err
		}
	}
	return nil
}

func (n *Network) checkChannels(names ...string) error {
	for _, c := range names {
		if _, err := n.Spec.Channel(c); err != nil {
			return err
		}
	}
	return nil
}

func (n *Network) define(ctx context.Context, opts DeployOptions, m mode) error {
	if opts.Version == "" {
		return errors.New("a version is required (--version)")
	}
	if len(opts.Chaincodes) == 0 {
		opts.Chaincodes = n.Spec.Chaincodes
	}
	if err := n.checkChannels(opts.Channels...); err != nil {
		return err
	}
	for _, cc := range opts.Chaincodes {
		if err := n.Spec.CheckChaincode(cc); err != nil {
			return err
		}
		if n.Spec.Runtime == consortium.Native {
			if err := checkBinary(opts.BinDir, cc); err != nil {
				return err
			}
		}
	}
	if err := n.checkHealthy(ctx); err != nil {
		return err
	}
	// Every chaincode on every channel is checked before anything changes.
	plans := map[string][]plan{}
	for _, ch := range opts.Channels {
		for _, cc := range opts.Chaincodes {
			p, err := n.planDefinition(ctx, ch, cc, opts.Version, m, false)
			if err != nil {
				return err
			}
			plans[ch] = append(plans[ch], p)
		}
	}
	for _, ch := range opts.Channels {
		n.Progress.Phase("chaincodes %v version %s on %s", opts.Chaincodes, opts.Version, ch)
		for _, p := range plans[ch] {
			if err := n.apply(ctx, p, opts.BinDir, false); err != nil {
				return err
			}
		}
		if slices.Contains(opts.Chaincodes, model.ChaincodeSubject) {
			if err := n.registerMembers(ctx, ch); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkBinary(dir, chaincode string) error {
	if dir == "" {
		return &MissingChaincodeBinaryError{Chaincode: chaincode, Dir: "(no --cc-bin given)"}
	}
	st, err := os.Stat(dir + "/" + chaincode)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
		return &MissingChaincodeBinaryError{Chaincode: chaincode, Dir: dir}
	}
	return err
}

// plan is what defineOne will do for one chaincode on one channel.
type plan struct {
	channel, chaincode, version string
	sequence                    int64
}

// planDefinition decides the sequence of a chaincode version on a channel
// from what the channel has committed, or refuses: cc deploy does not change
// a deployed version, cc upgrade needs a deployed chaincode.
func (n *Network) planDefinition(ctx context.Context, channel, cc, version string, m mode, promote bool) (plan, error) {
	p := plan{channel: channel, chaincode: cc, version: version, sequence: 1}
	op, err := n.Spec.Operator()
	if err != nil {
		return p, err
	}
	gw, err := n.lifecycleGateway(op)
	if err != nil {
		return p, err
	}
	var cur *lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition
	err = retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
		cur, err = lifecycle.Committed(ctx, gw, channel, cc)
		return err
	})
	if err != nil {
		return p, err
	}
	switch {
	case cur == nil && m == modeUpgrade && !promote:
		return p, fmt.Errorf("chaincode %s is not deployed on %s; use cc deploy first", cc, channel)
	case cur == nil:
	case cur.GetVersion() == version:
		p.sequence = cur.GetSequence()
	case m == modeDeploy:
		return p, &VersionConflictError{Chaincode: cc, Channel: channel, Have: cur.GetVersion(), Want: version, Hint: "use cc upgrade to change it"}
	default:
		p.sequence = cur.GetSequence() + 1
	}
	return p, nil
}

// defineOne brings one chaincode on one channel to a version: package,
// server, install, approvals, commit. promote allows a package that exists
// already without a binary directory.
func (n *Network) defineOne(ctx context.Context, channel, cc, version, binDir string, m mode, promote bool) error {
	p, err := n.planDefinition(ctx, channel, cc, version, m, promote)
	if err != nil {
		return err
	}
	return n.apply(ctx, p, binDir, promote)
}

func (n *Network) apply(ctx context.Context, p plan, binDir string, promote bool) error {
	pkg, err := n.Spec.EnsurePackage(p.chaincode, p.version)
	if err != nil {
		return err
	}
	if err := consortium.Save(n.Layout, n.Spec); err != nil {
		return err
	}
	data, packageID, err := n.packageFile(pkg)
	if err != nil {
		return err
	}
	if n.Spec.Runtime == consortium.Native && !promote {
		if err := n.installServerBinary(pkg, binDir); err != nil {
			return err
		}
	}
	if n.Spec.Runtime == consortium.Docker {
		// The compose file lists a chaincode server once its package ID is known.
		if err := consortium.Render(n.Layout, n.Spec); err != nil {
			return err
		}
	}
	if err := n.startServers(ctx, []consortium.Package{pkg}); err != nil {
		return err
	}
	if err := n.installEverywhere(ctx, pkg, data, packageID); err != nil {
		return err
	}
	def, err := lifecycle.Definition(p.channel, p.chaincode, p.version, p.sequence, packageID)
	if err != nil {
		return err
	}
	if err := n.approveAll(ctx, def); err != nil {
		return err
	}
	op, err := n.Spec.Operator()
	if err != nil {
		return err
	}
	gw, err := n.lifecycleGateway(op)
	if err != nil {
		return err
	}
	done := n.Progress.Step("commit %s %s sequence %d on %s", p.chaincode, p.version, p.sequence, p.channel)
	var committed bool
	err = retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
		committed, err = lifecycle.Commit(ctx, gw, def)
		return err
	})
	done(outcome(committed, ""), err)
	return err
}

// packageFile builds the package of pkg once and returns it with its ID.
func (n *Network) packageFile(pkg consortium.Package) ([]byte, string, error) {
	path := n.Layout.PackageFile(pkg)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		done := n.Progress.Step("package %s (CCaaS, %s)", pkg.Label(), n.Spec.ChaincodeAddress(pkg))
		data, err = lifecycle.Package(pkg.Label(), lifecycle.Connection{Address: n.Spec.ChaincodeAddress(pkg)})
		if err == nil {
			err = consortium.WriteFile(path, data, 0o644)
		}
		done("", err)
	}
	if err != nil {
		return nil, "", err
	}
	return data, lifecycle.PackageID(pkg.Label(), data), nil
}

// installEverywhere installs a package on every peer, in parallel.
func (n *Network) installEverywhere(ctx context.Context, pkg consortium.Package, data []byte, packageID string) error {
	peers := n.Spec.Peers()
	done := n.Progress.Step("install %s on %d peers", pkg.Label(), len(peers))
	var mu sync.Mutex
	installed := 0
	err := parallel(peers, func(r consortium.NodeRef) error {
		p, err := n.lifecyclePeer(r)
		if err != nil {
			return err
		}
		var did bool
		err = retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
			did, err = lifecycle.Install(ctx, p, data, packageID)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name(), err)
		}
		if did {
			mu.Lock()
			installed++
			mu.Unlock()
		}
		return nil
	})
	done(fmt.Sprintf("%d newly installed", installed), err)
	return err
}

// approveAll has every organisation approve a definition, in parallel.
func (n *Network) approveAll(ctx context.Context, def *chaincode.Definition) error {
	orgs := orgRefs(n.Spec)
	done := n.Progress.Step("approve %s %s sequence %d on %s by %d organisations", def.Name, def.Version, def.Sequence, def.ChannelName, len(orgs))
	var mu sync.Mutex
	approved := 0
	err := parallel(orgs, func(o *consortium.Org) error {
		gw, err := n.lifecycleGateway(o)
		if err != nil {
			return err
		}
		var did bool
		err = retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
			did, err = lifecycle.Approve(ctx, gw, def)
			return err
		})
		if did {
			mu.Lock()
			approved++
			mu.Unlock()
		}
		return err
	})
	done(fmt.Sprintf("%d newly approved", approved), err)
	return err
}

// parallel runs fn for every item at once and joins the errors.
func parallel[T any](items []T, fn func(T) error) error {
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() { errs[i] = fn(it) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lifecyclePeer returns a fabric-admin-sdk peer client of a peer as its
// organisation's admin.
func (n *Network) lifecyclePeer(r consortium.NodeRef) (*chaincode.Peer, error) {
	admin, err := n.adminSDK(r.Org)
	if err != nil {
		return nil, err
	}
	c, err := n.conn(r, r.Org)
	if err != nil {
		return nil, err
	}
	return chaincode.NewPeer(c, admin), nil
}

// lifecycleGateway returns a fabric-admin-sdk gateway client of an
// organisation's first peer as its admin.
func (n *Network) lifecycleGateway(o *consortium.Org) (*chaincode.Gateway, error) {
	admin, err := n.adminSDK(o)
	if err != nil {
		return nil, err
	}
	c, err := n.conn(consortium.NodeRef{Org: o, Node: o.Nodes[0]}, o)
	if err != nil {
		return nil, err
	}
	return chaincode.NewGateway(c, admin), nil
}

// lifecycleCommitted returns the version of a chaincode committed on a
// channel, or "" when there is none.
func lifecycleCommitted(ctx context.Context, gw *chaincode.Gateway, channel, cc string) (string, error) {
	d, err := lifecycle.Committed(ctx, gw, channel, cc)
	if err != nil || d == nil {
		return "", err
	}
	return d.GetVersion(), nil
}
