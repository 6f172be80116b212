// Package alliance founds the consortium on a fresh chain and admits the
// platform's members (7.4.2 a, A.1, A.2): the operator bootstraps it, then
// each department applies and the operator approves it. Every member's SM2
// key is the one the key service keeps for it, so the keys on chain are the
// keys the platform signs issued assets and step decisions with.
//
// Found is idempotent: a member already active is left alone, a pending one
// is approved, so `kaiban dev` runs it at every start. On a real Fabric
// network kaiban-net admits members instead.
package alliance

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// Member is one organisation to admit.
type Member struct {
	MSPID       string
	Name        string
	Kind        model.MemberKind
	Department  string // model department code, for departments
	Permissions []model.Permission
	// Password unlocks the member's key in custody (created when missing).
	Password string
}

// Keys is what Found needs of the key service.
type Keys interface {
	Generate(ctx context.Context, owner keys.Owner, password string) (keys.Key, error)
	Unlock(ctx context.Context, owner keys.Owner, password string) (*keys.SoftKey, error)
}

// Found makes founder the consortium's founding member (all member
// permissions) and admits each of members with its permissions, acting as
// each organisation's admin identity ("<MSPID>/Admin") on c.
func Found(ctx context.Context, c *chain.Client, k Keys, founder Member, members ...Member) error {
	founderAdmin, err := admin(c, founder.MSPID)
	if err != nil {
		return err
	}
	st, err := status(ctx, founderAdmin, founder.MSPID)
	if err != nil {
		return err
	}
	if st == "" {
		if err := apply(ctx, founderAdmin, k, founder, "Bootstrap", subject.ActionBootstrap); err != nil {
			return err
		}
	}
	for _, m := range members {
		own, err := admin(c, m.MSPID)
		if err != nil {
			return err
		}
		st, err := status(ctx, own, m.MSPID)
		if err != nil {
			return err
		}
		if st == "" || st == model.StatusRejected {
			if err := apply(ctx, own, k, m, "ApplyMember", subject.ActionApplyMember); err != nil {
				return err
			}
			st = model.StatusPending
		}
		if st != model.StatusPending {
			continue
		}
		review, err := model.Canonical(&model.MemberReview{Member: m.MSPID, Approve: true, Permissions: m.Permissions, Note: "founding members of the platform"})
		if err != nil {
			return err
		}
		if _, err := founderAdmin.Submit(ctx, "ReviewMember", chain.WithArguments(string(review))); err != nil {
			return fmt.Errorf("admit %s: %w", m.MSPID, err)
		}
	}
	return nil
}

func admin(c *chain.Client, mspID string) (*chain.Contract, error) {
	ct, err := c.Contract(mspID+"/Admin", model.ChaincodeSubject)
	if err != nil {
		return nil, fmt.Errorf("admin of %s: %w", mspID, err)
	}
	return ct, nil
}

// status is the member's status on chain, "" when it has never applied.
func status(ctx context.Context, ct *chain.Contract, mspID string) (string, error) {
	m, err := chain.EvaluateJSON[model.Member](ctx, ct, "GetMember", chain.WithArguments(mspID))
	if errors.Is(err, model.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("member %s: %w", mspID, err)
	}
	return m.Status, nil
}

// apply submits the member's application (Bootstrap or ApplyMember), signed
// with its key in custody.
func apply(ctx context.Context, ct *chain.Contract, k Keys, m Member, function, action string) error {
	owner := keys.Owner{Kind: keys.KindDepartment, ID: m.MSPID}
	if _, err := k.Generate(ctx, owner, m.Password); err != nil && !errors.Is(err, keys.ErrExists) {
		return fmt.Errorf("key of %s: %w", m.MSPID, err)
	}
	sk, err := k.Unlock(ctx, owner, m.Password)
	if err != nil {
		return fmt.Errorf("key of %s: %w", m.MSPID, err)
	}
	defer sk.Destroy()
	app, err := model.Canonical(&model.MemberApplication{ID: m.MSPID, Name: m.Name, Kind: m.Kind, Department: m.Department, PublicKey: sk.Key().PublicKeyPEM})
	if err != nil {
		return err
	}
	sig, err := sk.Sign(model.SigningMessage(action, app))
	if err != nil {
		return fmt.Errorf("sign %s's application: %w", m.MSPID, err)
	}
	if _, err := ct.Submit(ctx, function, chain.WithArguments(string(app), base64.StdEncoding.EncodeToString(sig))); err != nil {
		return fmt.Errorf("%s %s: %w", function, m.MSPID, err)
	}
	return nil
}
