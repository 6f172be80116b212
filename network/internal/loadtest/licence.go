package loadtest

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"sync/atomic"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Licences issues business licences of one type to one owner, each a new
// asset with its own business key, as a department's issuing worker does:
// IssueAsset signed with the department's SM2 member key, which the asset
// chaincode checks and for which it asks the subject chaincode about the
// issuer and the owner.
type Licences struct {
	// Assets is the asset chaincode as the issuing department's client.
	Assets *client.Contract
	// Key is the issuing department's member key; Issuer its MSP ID.
	Key    *sm2.PrivateKey
	Issuer string
	// Type is the asset type, which must name Issuer among its issuers.
	Type string
	// Owner is the subject the licences are issued to, OwnerKey the data key
	// wrapped for it.
	Owner    string
	OwnerKey model.WrappedKey

	seq atomic.Int64
}

// WrapKey returns a fresh data key wrapped for owner under its SM2 public key.
func WrapKey(owner string, pub *ecdsa.PublicKey) (model.WrappedKey, error) {
	dk, err := gm.NewDataKey()
	if err != nil {
		return model.WrappedKey{}, err
	}
	ct, err := gm.Encrypt(pub, dk)
	if err != nil {
		return model.WrappedKey{}, fmt.Errorf("wrap data key for %s: %w", owner, err)
	}
	return model.WrappedKey{Recipient: owner, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString(ct)}, nil
}

// Proposal builds the signed IssueAsset proposal of the next licence.
func (l *Licences) Proposal() (*client.Proposal, error) {
	n := l.seq.Add(1)
	content := fmt.Sprintf("licence %d", n)
	req := model.AssetIssue{
		Type: l.Type, Owner: l.Owner, Issuer: l.Issuer, Channel: model.ChannelDepartment,
		BusinessKey:   fmt.Sprintf("application-%d", n),
		ContentDigest: gm.Hex([]byte(content)),
		CipherDigest:  gm.Hex([]byte("cipher of " + content)),
		StorageRef:    "minio://assets/" + fmt.Sprint(n),
		Size:          int64(len(content)),
		Encryption:    model.EncryptAsymmetric,
		Keys:          []model.WrappedKey{l.OwnerKey},
	}
	raw, err := model.Canonical(&req)
	if err != nil {
		return nil, err
	}
	sig, err := gm.Sign(l.Key, model.SigningMessage(asset.ActionIssueAsset, raw))
	if err != nil {
		return nil, fmt.Errorf("sign licence %d: %w", n, err)
	}
	return l.Assets.NewProposal("IssueAsset", client.WithArguments(string(raw), base64.StdEncoding.EncodeToString(sig)))
}

// Issue issues the next licence: endorse, submit, wait for the commit. It
// returns the transaction's commit status and the signed commit status
// request, with which a client can ask again later.
func (l *Licences) Issue(ctx context.Context) (*client.Status, []byte, error) {
	p, err := l.Proposal()
	if err != nil {
		return nil, nil, err
	}
	tx, err := p.EndorseWithContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	request, err := commit.Bytes()
	return st, request, err
}

// IssueCommitted is Issue for a load run: an error also when the
// transaction was committed invalid.
func (l *Licences) IssueCommitted(ctx context.Context) error {
	st, _, err := l.Issue(ctx)
	if err == nil && !st.Successful {
		err = fmt.Errorf("licence transaction %s committed invalid: %s", st.TransactionID, st.Code)
	}
	return err
}
