package locker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// ActionIssueAsset is the action an issuer signs: the asset chaincode's
// IssueAsset transaction.
const ActionIssueAsset = model.ChaincodeAsset + ".IssueAsset"

// IssueInput is one piece of content to put into a locker (7.4.4 a, 7.6.2 c).
type IssueInput struct {
	// Type is the asset type code; Owner the subject whose locker gets it.
	Type  string
	Owner string
	// Issuer is the issuing member ID (channels authority, window,
	// department), or a subject with issue-asset (channel authority), or the
	// owner itself (channel self, which waits for a department's review).
	Issuer  string
	Channel model.IssueChannel
	// BusinessKey names the asset within its type, owner and issuer (an
	// application ID, say); with them it fixes the asset ID.
	BusinessKey string
	// Content is the plaintext. It is sealed, never stored or logged in the
	// clear.
	Content []byte
	// Encryption is the mode the owner's data key is wrapped in: asymmetric
	// (the default, for the owner's active SM2 key) or symmetric (under the
	// owner's account key, which needs OwnerPassword).
	Encryption    model.EncryptionMode
	OwnerPassword string
	// Signer signs the issue as Issuer (keys.Service.Unlock of the issuer's
	// key, or an HSM).
	Signer keys.Signer
	// Identity is the chain identity that submits the issue ("MSPID" or
	// "MSPID/name"): the issuer's member, or for a subject's issue the
	// gateway member that answers for it.
	Identity string
	// Lane, when set, orders the chain write after earlier writes of the
	// same lane (the application's process, say).
	Lane string
}

// Issued is the result of Issue: the asset's ID, the exact request enqueued
// for the chain, and the outbox write that carries it.
type Issued struct {
	AssetID   string           `json:"assetId"`
	Issue     model.AssetIssue `json:"issue"`
	Signature string           `json:"signature"`
	OutboxID  int64            `json:"outboxId"`
	OutboxKey string           `json:"outboxKey"`
	// Existing is true when the same content had been issued before and
	// nothing new was enqueued.
	Existing bool `json:"existing"`
}

// KeyWrapper wraps asset data keys for their owners; *keys.Service
// implements it.
type KeyWrapper interface {
	WrapFor(ctx context.Context, recipient keys.Owner, dataKey []byte) (model.WrappedKey, error)
	WrapSymmetric(ctx context.Context, owner keys.Owner, password, assetID string, dataKey []byte) (model.WrappedKey, error)
}

// Enqueuer records a chain write in the caller's transaction; *outbox.Outbox
// implements it.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, w outbox.Write) (int64, error)
}

// Issue puts in.Content into in.Owner's locker within tx, the caller's
// business transaction: it seals the content into the object store with the
// asset ID as additional data, wraps the data key for the owner, builds and
// signs the model.AssetIssue and enqueues asset.IssueAsset in the outbox.
// The chain write exists once tx commits, not before. The same content for
// the same asset again returns the first issue (Existing); other content for
// an issued asset is ErrConflict, except a re-upload of a rejected
// self-upload. The sealed object may stay behind if tx rolls back; it is
// content-addressed ciphertext no asset refers to.
func (s *Service) Issue(ctx context.Context, tx pgx.Tx, in IssueInput) (*Issued, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	id := model.AssetID(in.Type, in.Owner, in.Issuer, in.BusinessKey)
	digest := gm.Hex(in.Content)
	prev, err := previousIssue(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if prev.Issue.ContentDigest == digest {
			prev.Existing = true
			return prev, nil
		}
		if !(in.Channel == model.ChannelSelf && assetStatus(ctx, tx, id) == model.AssetRejected) {
			return nil, fmt.Errorf("issue asset %s: other content was issued under this business key: %w", id, ErrConflict)
		}
	}
	sealed, err := objectstore.PutSealed(ctx, s.store, in.Content, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: store content: %w", id, err)
	}
	defer clear(sealed.Key)
	owner := keys.Owner{Kind: keys.KindSubject, ID: in.Owner}
	var wrapped model.WrappedKey
	if in.Encryption == model.EncryptSymmetric {
		wrapped, err = s.keys.WrapSymmetric(ctx, owner, in.OwnerPassword, id, sealed.Key)
	} else {
		wrapped, err = s.keys.WrapFor(ctx, owner, sealed.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: wrap data key for %s: %w", id, in.Owner, keyErr(err))
	}
	regulators, err := s.regulatorKeys(ctx, tx, in.Type, in.Issuer, sealed.Key)
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: %w", id, err)
	}
	issue := model.AssetIssue{
		Type: in.Type, Owner: in.Owner, Issuer: in.Issuer, Channel: in.Channel, BusinessKey: in.BusinessKey,
		ContentDigest: digest, CipherDigest: sealed.Name, StorageRef: sealed.Name, Size: sealed.Size,
		Encryption: in.Encryption, Keys: append([]model.WrappedKey{wrapped}, regulators...),
	}
	if err := issue.Validate(); err != nil {
		return nil, fmt.Errorf("issue asset %s: %w: %v", id, ErrInvalid, err)
	}
	canonical, err := model.Canonical(&issue)
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: %w", id, err)
	}
	sig, err := in.Signer.Sign(model.SigningMessage(ActionIssueAsset, canonical))
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: sign: %w", id, err)
	}
	out := &Issued{AssetID: id, Issue: issue, Signature: keys.EncodeSignature(sig),
		OutboxKey: "locker/issue/" + id + "/" + sealed.Name}
	out.OutboxID, err = s.outbox.Enqueue(ctx, tx, outbox.Write{
		Key: out.OutboxKey, Identity: in.Identity, Chaincode: model.ChaincodeAsset, Function: "IssueAsset",
		Args: []string{string(canonical), out.Signature}, Lane: in.Lane,
	})
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: enqueue: %w", id, err)
	}
	record, _ := json.Marshal(issue)
	if _, err := tx.Exec(ctx, `
		INSERT INTO locker_issues (asset_id, asset_type, owner, issuer, channel, content_digest, cipher_digest,
		                           issue, signature, outbox_id, outbox_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (asset_id) DO UPDATE SET content_digest = EXCLUDED.content_digest,
		  cipher_digest = EXCLUDED.cipher_digest, issue = EXCLUDED.issue, signature = EXCLUDED.signature,
		  outbox_id = EXCLUDED.outbox_id, outbox_key = EXCLUDED.outbox_key, created_at = now()`,
		id, in.Type, in.Owner, in.Issuer, string(in.Channel), digest, sealed.Name, record, out.Signature,
		out.OutboxID, out.OutboxKey); err != nil {
		return nil, fmt.Errorf("issue asset %s: record: %w", id, err)
	}
	return out, nil
}

// maxRegulatorKeys leaves room for the owner's key within the chain's 16
// wrapped keys per asset.
const maxRegulatorKeys = 15

// regulatorKeys wraps the data key for every regulator member whose remit
// (supervision's regulator_remits: asset types and issuing departments)
// covers an asset of assetType issued by issuer, so that the regulator can
// read the content it regulates (7.4.3 g) with its own key, and the chain
// shows who can. A regulator without a key in the key service gets nothing:
// its inspections show the record without content, and the issue goes on.
func (s *Service) regulatorKeys(ctx context.Context, tx pgx.Tx, assetType, issuer string, dataKey []byte) ([]model.WrappedKey, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT regulator FROM regulator_remits
		WHERE (asset_type <> '' AND asset_type = $1) OR (department <> '' AND department = $2) ORDER BY 1`, assetType, issuer)
	if err != nil {
		return nil, fmt.Errorf("regulators of %s by %s: %w", assetType, issuer, err)
	}
	regulators, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("regulators of %s by %s: %w", assetType, issuer, err)
	}
	if len(regulators) > maxRegulatorKeys {
		return nil, fmt.Errorf("%d regulators' remits cover %s by %s, at most %d can hold a key: %w", len(regulators), assetType, issuer, maxRegulatorKeys, ErrState)
	}
	out := make([]model.WrappedKey, 0, len(regulators))
	for _, r := range regulators {
		w, err := s.keys.WrapFor(ctx, keys.Owner{Kind: keys.KindDepartment, ID: r}, dataKey)
		if errors.Is(err, keys.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wrap data key for regulator %s: %w", r, keyErr(err))
		}
		out = append(out, w)
	}
	return out, nil
}

func (in *IssueInput) check() error {
	if in.Encryption == "" {
		in.Encryption = model.EncryptAsymmetric
	}
	if in.Channel == model.ChannelSelf && in.Issuer == "" {
		in.Issuer = in.Owner
	}
	switch {
	case in.Type == "" || in.Owner == "" || in.Issuer == "" || in.BusinessKey == "":
		return fmt.Errorf("issue asset: type, owner, issuer and business key are required: %w", ErrInvalid)
	case len(in.Content) == 0:
		return fmt.Errorf("issue asset: no content: %w", ErrInvalid)
	case in.Signer == nil:
		return fmt.Errorf("issue asset: no signer for %s: %w", in.Issuer, ErrInvalid)
	case in.Identity == "":
		return fmt.Errorf("issue asset: no submitting identity: %w", ErrInvalid)
	case in.Channel == model.ChannelSelf && in.Issuer != in.Owner:
		return fmt.Errorf("issue asset: a self-upload is issued by its owner: %w", ErrInvalid)
	case in.Encryption != model.EncryptAsymmetric && in.Encryption != model.EncryptSymmetric:
		return fmt.Errorf("issue asset: encryption %q: %w", in.Encryption, ErrInvalid)
	case in.Encryption == model.EncryptSymmetric && in.OwnerPassword == "":
		return fmt.Errorf("issue asset: symmetric mode needs the owner's unlock password: %w", ErrInvalid)
	}
	switch in.Channel {
	case model.ChannelAuthority, model.ChannelWindow, model.ChannelDepartment, model.ChannelSelf:
	default:
		return fmt.Errorf("issue asset: channel %q: %w", in.Channel, ErrInvalid)
	}
	return nil
}

func previousIssue(ctx context.Context, tx pgx.Tx, id string) (*Issued, error) {
	out := &Issued{AssetID: id}
	var record []byte
	err := tx.QueryRow(ctx, `SELECT issue, signature, outbox_id, outbox_key FROM locker_issues WHERE asset_id = $1`, id).
		Scan(&record, &out.Signature, &out.OutboxID, &out.OutboxKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("issue asset %s: read earlier issue: %w", id, err)
	}
	if err := json.Unmarshal(record, &out.Issue); err != nil {
		return nil, fmt.Errorf("issue asset %s: earlier issue: %w", id, err)
	}
	return out, nil
}

// assetStatus is the asset's projected status, "" when not projected.
func assetStatus(ctx context.Context, tx pgx.Tx, id string) string {
	var status string
	_ = tx.QueryRow(ctx, `SELECT status FROM ledger_assets WHERE id = $1`, id).Scan(&status)
	return status
}

// keyErr maps the key service's errors onto the locker's.
func keyErr(err error) error {
	switch {
	case errors.Is(err, keys.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, keys.ErrInvalid), errors.Is(err, keys.ErrBadPassword), errors.Is(err, keys.ErrLocked):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}
