package kaibannet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/network/consortium"
)

// MemberPermissions are the member permissions (7.4.2 a) a member of a kind
// receives when the operator approves its admission: departments publish
// the contracts (asset types) they issue; the operator holds every
// permission from the consortium's founding.
func MemberPermissions(kind string) []model.Permission {
	switch kind {
	case string(model.MemberOperator):
		return model.MemberPermissions
	case string(model.MemberDepartment):
		return []model.Permission{model.PermContract}
	default:
		return nil
	}
}

// AddMember admits an organisation to the consortium (A.2): its crypto
// material, SM2 member key and node configuration; its peers started; on
// every channel a config update adding it, signed by a majority of the
// current members' admins, submitted to the orderers; its peers joined; the
// deployed chaincodes installed on them and approved by it; and its member
// record written on chain through the subject chaincode (application signed
// with its SM2 key, review by the operator). Every step is skipped when
// done, so a failed admission is finished by running the command again.
func (n *Network) AddMember(ctx context.Context, org consortium.NewOrg) error {
	next := cloneSpec(n.Spec)
	added, err := next.AddOrg(org)
	if err != nil {
		return err
	}
	if err := n.checkHealthy(ctx); err != nil {
		return err
	}
	newPeers := make([]consortium.NodeRef, 0, len(added.Nodes))
	for _, nd := range added.Nodes {
		newPeers = append(newPeers, consortium.NodeRef{Org: added, Node: nd})
	}
	if err := n.checkNewNodePorts(newPeers); err != nil {
		return err
	}
	n.Progress.Phase("member add %s (%s)", added.MSPID, added.Kind)
	*n.Spec = *next
	done := n.Progress.Step("crypto material, SM2 member key and configuration of %s", added.MSPID)
	err = n.save()
	done("", err)
	if err != nil {
		return err
	}
	added, err = n.Spec.Org(added.MSPID)
	if err != nil {
		return err
	}
	if err := n.startNewNodes(ctx, added); err != nil {
		return err
	}
	channels, err := n.createdChannels(ctx)
	if err != nil {
		return err
	}
	for _, ch := range channels {
		if err := n.reconcileChannel(ctx, ch); err != nil {
			return err
		}
		if err := n.joinOrgPeers(ctx, added, ch); err != nil {
			return err
		}
		if err := n.catchUpChaincodes(ctx, ch); err != nil {
			return err
		}
		if err := n.registerMembers(ctx, ch); err != nil {
			return err
		}
	}
	return nil
}

// startNewNodes starts an organisation's nodes (natively) or brings the
// compose project up to date (docker).
func (n *Network) startNewNodes(ctx context.Context, o *consortium.Org) error {
	if n.Spec.Runtime == consortium.Docker {
		return n.dockerUp(ctx)
	}
	procs, err := n.nodeProcesses()
	if err != nil {
		return err
	}
	for _, p := range procs {
		if p.ref.Org.MSPID == o.MSPID {
			if err := n.startNode(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNewNodePorts fails when a port a new node needs is taken (natively).
func (n *Network) checkNewNodePorts(refs []consortium.NodeRef) error {
	if n.Spec.Runtime == consortium.Docker {
		return nil
	}
	procs := make([]nodeProcess, 0, len(refs))
	for _, r := range refs {
		procs = append(procs, n.nodeProcess(r, "", ""))
	}
	return checkPorts(procs)
}

// joinOrgPeers joins an organisation's peers to a channel.
func (n *Network) joinOrgPeers(ctx context.Context, o *consortium.Org, channel string) error {
	block, err := n.genesisBlock(channel)
	if err != nil {
		return err
	}
	for _, nd := range o.Nodes {
		r := consortium.NodeRef{Org: o, Node: nd}
		err := retry(ctx, readyTimeout, func(ctx context.Context) error { return n.joinPeer(ctx, r, channel, block) })
		if err != nil {
			return err
		}
	}
	return nil
}

// catchUpChaincodes brings every committed chaincode of a channel to the
// peers and organisations that lack it: installed on new peers, approved by
// new members at the committed sequence.
func (n *Network) catchUpChaincodes(ctx context.Context, channel string) error {
	op, err := n.Spec.Operator()
	if err != nil {
		return err
	}
	gw, err := n.lifecycleGateway(op)
	if err != nil {
		return err
	}
	for _, cc := range n.Spec.Chaincodes {
		done := n.Progress.Step("look up %s on %s", cc, channel)
		var version string
		err := retry(ctx, readyTimeout, func(ctx context.Context) error {
			d, err := lifecycleCommitted(ctx, gw, channel, cc)
			version = d
			return err
		})
		if version == "" && err == nil {
			done("not deployed", nil)
			continue
		}
		done("version "+version, err)
		if err != nil {
			return err
		}
		if err := n.defineOne(ctx, channel, cc, version, "", modeDeploy, true); err != nil {
			return err
		}
	}
	return nil
}

// registerMembers writes on a channel, through the subject chaincode, the
// member record of every organisation of the spec that does not have an
// active one: the operator founds the consortium (Bootstrap); every other
// organisation's admin applies with its SM2 key and the operator's admin
// approves it.
func (n *Network) registerMembers(ctx context.Context, channel string) error {
	op, err := n.Spec.Operator()
	if err != nil {
		return err
	}
	for i := range n.Spec.Orgs {
		o := &n.Spec.Orgs[i]
		done := n.Progress.Step("member record of %s on %s", o.MSPID, channel)
		did, err := n.registerMember(ctx, op, o, channel)
		done(outcome(did, " (active)"), err)
		if err != nil {
			return err
		}
	}
	return nil
}

func (n *Network) registerMember(ctx context.Context, op, o *consortium.Org, channel string) (bool, error) {
	m, err := n.member(ctx, op, channel, o.MSPID)
	if err != nil {
		return false, err
	}
	if m != nil && m.Status == model.StatusActive {
		return false, nil
	}
	key, err := consortium.EnsureMemberKey(n.Layout, o.MSPID)
	if err != nil {
		return false, err
	}
	app := model.MemberApplication{ID: o.MSPID, Name: o.Name, Kind: model.MemberKind(o.Kind), Department: o.Department, PublicKey: key.PublicKeyPEM}
	if o.MSPID == op.MSPID {
		canonical, sig, err := SignRequest(key.Key, subject.ActionBootstrap, &app)
		if err != nil {
			return false, err
		}
		return true, n.submitRetry(ctx, o, consortium.AdminUser, channel, "Bootstrap", canonical, sig)
	}
	if m == nil || m.Status == model.StatusRejected {
		canonical, sig, err := SignRequest(key.Key, subject.ActionApplyMember, &app)
		if err != nil {
			return false, err
		}
		if err := n.submitRetry(ctx, o, consortium.AdminUser, channel, "ApplyMember", canonical, sig); err != nil {
			return false, err
		}
		// The application is committed on the applicant's peer; the
		// operator's peer, which endorses the review, may be a block behind.
		if err := n.waitMember(ctx, op, channel, o.MSPID); err != nil {
			return false, err
		}
	} else if m.Status != model.StatusPending {
		return false, fmt.Errorf("member %s is %s on %s; reinstate it with the subject chaincode", o.MSPID, m.Status, channel)
	}
	review, err := model.Canonical(&model.MemberReview{Member: o.MSPID, Approve: true, Permissions: MemberPermissions(o.Kind), Note: "admitted by kaiban-net (DB37/T 4431-2021 A.2)"})
	if err != nil {
		return false, err
	}
	return true, n.submitRetry(ctx, op, consortium.AdminUser, channel, "ReviewMember", string(review))
}

// member reads a member record from the subject chaincode; nil when there is none.
func (n *Network) member(ctx context.Context, op *consortium.Org, channel, id string) (*model.Member, error) {
	var out []byte
	err := retry(ctx, readyTimeout, func(ctx context.Context) (err error) {
		out, err = n.Evaluate(ctx, op, consortium.ClientUser, channel, model.ChaincodeSubject, "GetMember", id)
		if classified(err) {
			return permanent(err)
		}
		return err
	})
	if isCode(err, model.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m model.Member
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("GetMember %s: %w", id, err)
	}
	return &m, nil
}

// waitMember waits until the operator's peer has a member record.
func (n *Network) waitMember(ctx context.Context, op *consortium.Org, channel, id string) error {
	return retry(ctx, readyTimeout, func(ctx context.Context) error {
		m, err := n.member(ctx, op, channel, id)
		if err == nil && m == nil {
			err = fmt.Errorf("member %s not yet visible to %s", id, op.MSPID)
		}
		return err
	})
}

// submitRetry submits to the subject chaincode, retrying failures that are
// not the chaincode's own verdict (a chaincode just committed may need a
// moment before every endorsing peer reaches its server).
func (n *Network) submitRetry(ctx context.Context, o *consortium.Org, user, channel, fn string, args ...string) error {
	err := retry(ctx, readyTimeout, func(ctx context.Context) error {
		_, err := n.Submit(ctx, o, user, channel, model.ChaincodeSubject, fn, args...)
		if classified(err) {
			return permanent(err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", fn, channel, err)
	}
	return nil
}

func classified(err error) bool {
	var ce *ChaincodeError
	return errors.As(err, &ce) && ce.Code != ""
}

func isCode(err error, c model.Code) bool {
	var ce *ChaincodeError
	return errors.As(err, &ce) && ce.Code == c
}

// checkHealthy fails unless every node answers /healthz.
func (n *Network) checkHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 3 * time.Second}
	for _, r := range n.Spec.Nodes() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.Spec.Endpoint(r).Ops+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s is not reachable (%v); start the network with kaiban-net up", r.Name(), err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s is not healthy (%s)", r.Name(), resp.Status)
		}
	}
	return nil
}
