package locker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// Actions signed by subjects and members for the asset and authorization
// chaincodes.
const (
	ActionReviewAsset  = model.ChaincodeAsset + ".ReviewAsset"
	ActionRecordAccess = model.ChaincodeAuthorization + ".RecordAccess"
)

// Entry is one asset in a locker: the chain's record as projected, and for
// an asset pushed into this locker by a grant, that grant.
type Entry struct {
	model.Asset
	Grant string `json:"grant,omitempty"`
}

// Assets lists the assets in owner's locker (7.6.2 a, displayed by type):
// those it owns and those pushed to it by active grants, ordered by type,
// then ID. assetType "" lists every type.
func (s *Service) Assets(ctx context.Context, owner, assetType string) ([]Entry, error) {
	if err := s.Known(ctx, owner); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.record, '' FROM ledger_assets a WHERE a.owner = $1 AND ($2 = '' OR a.type = $2)
		UNION ALL
		SELECT a.record, g.id FROM ledger_grants g JOIN ledger_assets a ON a.id = g.asset
		WHERE g.grantee = $1 AND g.status = 'active' AND (g.record->>'push')::boolean AND g.expires_at > now()
		  AND ($2 = '' OR a.type = $2)
		ORDER BY 1`, owner, assetType)
	if err != nil {
		return nil, fmt.Errorf("locker %s assets: %w", owner, err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var raw []byte
		var e Entry
		if err := rows.Scan(&raw, &e.Grant); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &e.Asset); err != nil {
			return nil, fmt.Errorf("locker %s assets: %w", owner, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortEntries(out)
	return out, nil
}

// Known reports ErrNotFound unless id is a locker opened here or a subject
// the chain knows (a locker opened through another platform's window).
func (s *Service) Known(ctx context.Context, id string) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM locker_lockers WHERE id = $1)
		OR EXISTS (SELECT 1 FROM ledger_subjects WHERE id = $1)`, id).Scan(&ok); err != nil {
		return fmt.Errorf("locker %s: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("locker %s: %w", id, ErrNotFound)
	}
	return nil
}

func sortEntries(es []Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && (es[j].Type < es[j-1].Type || es[j].Type == es[j-1].Type && es[j].ID < es[j-1].ID); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// Accessor is who opens an asset: a subject with its unlock password, or a
// member (department, bank) with its key's password.
type Accessor struct {
	// Subject is the accessing subject's ID; empty for a member.
	Subject string
	// Member is the accessing member's ID (MSP ID); it submits as itself.
	Member   string
	Password string
}

func (a Accessor) id() string {
	if a.Subject != "" {
		return a.Subject
	}
	return a.Member
}

func (a Accessor) owner() keys.Owner {
	if a.Subject != "" {
		return keys.Owner{Kind: keys.KindSubject, ID: a.Subject}
	}
	return keys.Owner{Kind: keys.KindDepartment, ID: a.Member}
}

// ViewInput asks to view an asset's content with a stated reason (7.6.2 b).
type ViewInput struct {
	Asset    string
	Accessor Accessor
	Reason   string
	// Grant names the grant the accessor holds; empty for the owner.
	Grant string
	// Action is model.AccessView (default) or model.AccessUse.
	Action string
}

// Content is an asset's content released to an accessor with the access
// record that the chain wrote for it: its time is the transaction's
// timestamp, checkable against block Block by TxID.
type Content struct {
	Asset   string             `json:"asset"`
	Type    string             `json:"type"`
	Content []byte             `json:"content"`
	Access  model.AccessRecord `json:"access"`
	Block   uint64             `json:"block"`
}

// View releases an asset's content to its owner or a grantee only after the
// access, with its reason, is recorded on chain (authorization.RecordAccess,
// submitted directly so the answer carries the transaction): the password
// first opens the data key, then the record is written, then the content is
// decrypted and returned with the record.
func (s *Service) View(ctx context.Context, in ViewInput) (*Content, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Action == "" {
		in.Action = model.AccessView
	}
	if in.Action != model.AccessView && in.Action != model.AccessUse {
		return nil, fmt.Errorf("view asset: action %q: %w", in.Action, ErrInvalid)
	}
	if err := checkReason(in.Reason); err != nil {
		return nil, err
	}
	if (in.Accessor.Subject == "") == (in.Accessor.Member == "") || in.Accessor.Password == "" {
		return nil, fmt.Errorf("view asset: one accessor (subject or member) and its password: %w", ErrInvalid)
	}
	asset, err := s.chainAsset(ctx, in.Asset)
	if err != nil {
		return nil, err
	}
	var wrapped *model.WrappedKey
	if in.Grant == "" {
		if asset.Owner != in.Accessor.Subject {
			return nil, fmt.Errorf("view asset %s: only the owner views without a grant: %w", in.Asset, ErrDenied)
		}
		wrapped = ownerKey(asset)
	} else {
		g, err := s.grant(ctx, in.Grant)
		if err != nil {
			return nil, err
		}
		if g.Asset != in.Asset || g.Grantee != in.Accessor.id() {
			return nil, fmt.Errorf("view asset %s: grant %s is not the accessor's for it: %w", in.Asset, in.Grant, ErrDenied)
		}
		wrapped = g.GranteeKey
	}
	if wrapped == nil {
		return nil, fmt.Errorf("view asset %s: no data key for %s: %w", in.Asset, in.Accessor.id(), ErrDenied)
	}
	dk, err := s.keys.Unwrap(ctx, in.Accessor.owner(), in.Accessor.Password, asset.ID, *wrapped)
	if err != nil {
		return nil, fmt.Errorf("view asset %s: %w", in.Asset, keyErr(err))
	}
	defer clear(dk)
	rec := model.AccessRecording{Asset: asset.ID, Accessor: in.Accessor.id(), Action: in.Action, Reason: in.Reason, Grant: in.Grant}
	access, res, err := s.recordAccess(ctx, rec, in.Accessor, nil)
	if err != nil {
		return nil, err
	}
	plain, err := objectstore.GetSealed(ctx, s.store, asset.StorageRef, dk, []byte(asset.ID))
	if err != nil {
		return nil, fmt.Errorf("view asset %s: content: %w", in.Asset, err)
	}
	return &Content{Asset: asset.ID, Type: asset.Type, Content: plain, Access: *access, Block: res.Block}, nil
}

func checkReason(reason string) error {
	r := strings.TrimSpace(reason)
	if r == "" || utf8.RuneCountInString(r) > 500 || !utf8.ValidString(r) {
		return fmt.Errorf("a reason (1 to 500 characters) is required: %w", ErrInvalid)
	}
	return nil
}

func ownerKey(a *model.Asset) *model.WrappedKey {
	for i := range a.Keys {
		if a.Keys[i].Recipient == a.Owner {
			return &a.Keys[i]
		}
	}
	return nil
}

// recordAccess signs (for a subject) and submits RecordAccess, returning the
// chain's record. A subject's record is submitted by the gateway, a member's
// by the member itself.
func (s *Service) recordAccess(ctx context.Context, rec model.AccessRecording, who Accessor, transient map[string][]byte) (*model.AccessRecord, *chain.Result, error) {
	if s.chain == nil {
		return nil, nil, errors.New("record access: the locker has no chain client")
	}
	if err := rec.Validate(); err != nil {
		return nil, nil, fmt.Errorf("record access: %w: %v", ErrInvalid, err)
	}
	canonical, err := model.Canonical(&rec)
	if err != nil {
		return nil, nil, err
	}
	identity, sig := s.gateway, ""
	if who.Subject != "" {
		sg, err := s.keys.Sign(ctx, who.owner(), who.Password, model.SigningMessage(ActionRecordAccess, canonical))
		if err != nil {
			return nil, nil, fmt.Errorf("record access: %w", keyErr(err))
		}
		sig = keys.EncodeSignature(sg.Value)
	} else {
		identity = who.Member
	}
	ct, err := s.chain.Contract(identity, model.ChaincodeAuthorization)
	if err != nil {
		return nil, nil, fmt.Errorf("record access: %w: %v", ErrInvalid, err)
	}
	opts := []chain.CallOption{chain.WithArguments(string(canonical), sig)}
	if transient != nil {
		opts = append(opts, chain.WithTransient(transient))
	}
	out, res, err := chain.SubmitJSON[model.AccessRecord](ctx, ct, "RecordAccess", opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("record access to %s: %w", rec.Asset, chainErr(err))
	}
	return &out, res, nil
}

// chainAsset reads an asset from the chain (not the projection, which may
// lag): the record a decision about its content rests on.
func (s *Service) chainAsset(ctx context.Context, id string) (*model.Asset, error) {
	if s.chain == nil {
		return nil, errors.New("the locker has no chain client")
	}
	ct, err := s.chain.Contract(s.gateway, model.ChaincodeAsset)
	if err != nil {
		return nil, err
	}
	a, err := chain.EvaluateJSON[model.Asset](ctx, ct, "GetAsset", chain.WithArguments(id))
	if err != nil {
		return nil, fmt.Errorf("asset %s: %w", id, chainErr(err))
	}
	return &a, nil
}

// grant reads a grant from the chain.
func (s *Service) grant(ctx context.Context, id string) (*model.Grant, error) {
	ct, err := s.chain.Contract(s.gateway, model.ChaincodeAuthorization)
	if err != nil {
		return nil, err
	}
	g, err := chain.EvaluateJSON[model.Grant](ctx, ct, "GetGrant", chain.WithArguments(id))
	if err != nil {
		return nil, fmt.Errorf("grant %s: %w", id, chainErr(err))
	}
	return &g, nil
}

// chainErr maps the chaincode's classified refusals onto the locker's errors.
func chainErr(err error) error {
	var ce *chain.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Code {
	case "INVALID":
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case "NOT_FOUND":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case "DENIED", "SIGNATURE":
		return fmt.Errorf("%w: %w", ErrDenied, err)
	case "CONFLICT":
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case "STATE":
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	return err
}

// UploadInput is a self-upload (7.6.2 c 4): the owner puts its own content
// into its locker; a department of the type's reviewers makes it trusted.
type UploadInput struct {
	Owner       string
	Password    string
	Type        string
	BusinessKey string
	Content     []byte
	Encryption  model.EncryptionMode
}

// Upload issues the owner's own content on channel self, signed with the
// owner's key and submitted by the gateway through the outbox. The asset is
// pending review until ReviewUpload.
func (s *Service) Upload(ctx context.Context, in UploadInput) (*Issued, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Owner == "" || in.Password == "" {
		return nil, fmt.Errorf("upload: owner and password are required: %w", ErrInvalid)
	}
	signer, err := s.keys.Unlock(ctx, keys.Owner{Kind: keys.KindSubject, ID: in.Owner}, in.Password)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", keyErr(err))
	}
	defer signer.Destroy()
	var out *Issued
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		out, err = s.Issue(ctx, tx, IssueInput{
			Type: in.Type, Owner: in.Owner, Issuer: in.Owner, Channel: model.ChannelSelf, BusinessKey: in.BusinessKey,
			Content: in.Content, Encryption: in.Encryption, OwnerPassword: in.Password, Signer: signer,
			Identity: s.gateway, Lane: "asset/" + model.AssetID(in.Type, in.Owner, in.Owner, in.BusinessKey),
		})
		return err
	})
	return out, err
}

// MemberIssueInput is an issue by a member on channel authority, window or
// department, signed with the member's key in the key service.
type MemberIssueInput struct {
	Member      string
	Password    string
	Channel     model.IssueChannel
	Type        string
	Owner       string
	BusinessKey string
	Content     []byte
}

// IssueByMember is Issue for a member whose key is in the key service: the
// member's password unlocks its key, which signs; the member submits.
func (s *Service) IssueByMember(ctx context.Context, in MemberIssueInput) (*Issued, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Channel == model.ChannelSelf {
		return nil, fmt.Errorf("issue: a member does not self-upload: %w", ErrInvalid)
	}
	if in.Member == "" || in.Password == "" {
		return nil, fmt.Errorf("issue: member and password are required: %w", ErrInvalid)
	}
	signer, err := s.keys.Unlock(ctx, keys.Owner{Kind: keys.KindDepartment, ID: in.Member}, in.Password)
	if err != nil {
		return nil, fmt.Errorf("issue: %w", keyErr(err))
	}
	defer signer.Destroy()
	var out *Issued
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		out, err = s.Issue(ctx, tx, IssueInput{
			Type: in.Type, Owner: in.Owner, Issuer: in.Member, Channel: in.Channel, BusinessKey: in.BusinessKey,
			Content: in.Content, Signer: signer, Identity: in.Member,
		})
		return err
	})
	return out, err
}

// UploadReview is a department's decision on a self-upload.
type UploadReview struct {
	Asset    string
	Member   string
	Password string
	Approve  bool
	Note     string
}

// ReviewUpload decides a self-uploaded asset (asset.ReviewAsset), signed
// with the reviewing member's key and submitted by it through the outbox;
// approved, the asset becomes available (trusted). It returns the outbox key.
func (s *Service) ReviewUpload(ctx context.Context, in UploadReview) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	review := model.AssetReview{Asset: in.Asset, Approve: in.Approve, Note: in.Note}
	if err := review.Validate(); err != nil {
		return "", fmt.Errorf("review upload: %w: %v", ErrInvalid, err)
	}
	if in.Member == "" || in.Password == "" {
		return "", fmt.Errorf("review upload: member and password are required: %w", ErrInvalid)
	}
	a, err := s.chainAsset(ctx, in.Asset)
	if err != nil {
		return "", err
	}
	if a.Status != model.AssetPendingReview {
		return "", fmt.Errorf("review upload %s: asset is %s: %w", in.Asset, a.Status, ErrState)
	}
	canonical, err := model.Canonical(&review)
	if err != nil {
		return "", err
	}
	sig, err := s.keys.Sign(ctx, keys.Owner{Kind: keys.KindDepartment, ID: in.Member}, in.Password, model.SigningMessage(ActionReviewAsset, canonical))
	if err != nil {
		return "", fmt.Errorf("review upload: %w", keyErr(err))
	}
	key := fmt.Sprintf("locker/review/%s/%s", in.Asset, a.UpdatedTx)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := s.outbox.Enqueue(ctx, tx, outbox.Write{
			Key: key, Identity: in.Member, Chaincode: model.ChaincodeAsset, Function: "ReviewAsset",
			Args: []string{string(canonical), keys.EncodeSignature(sig.Value)}, Lane: "asset/" + in.Asset,
		})
		return err
	})
	if errors.Is(err, outbox.ErrKeyReused) {
		return "", fmt.Errorf("review upload %s: already decided otherwise: %w", in.Asset, ErrConflict)
	}
	if err != nil {
		return "", fmt.Errorf("review upload %s: %w", in.Asset, err)
	}
	return key, nil
}

// expiry checks a requested expiry time.
func expiry(at time.Time) (string, error) {
	if at.IsZero() || !at.After(time.Now()) {
		return "", fmt.Errorf("expiry must lie in the future: %w", ErrInvalid)
	}
	return at.UTC().Format(time.RFC3339), nil
}

// AccessEntry is one recorded access to an asset (使用记录, 7.6.2 b) with the
// block that holds it, so its time can be checked against the block.
type AccessEntry struct {
	model.AccessRecord
	Block uint64 `json:"block"`
}

// AccessRecords lists an asset's recorded accesses, oldest first, from the
// projection.
func (s *Service) AccessRecords(ctx context.Context, asset string) ([]AccessEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT record, block_number FROM ledger_access_records WHERE asset = $1 ORDER BY at, id`, asset)
	if err != nil {
		return nil, fmt.Errorf("access records of %s: %w", asset, err)
	}
	defer rows.Close()
	out := []AccessEntry{}
	for rows.Next() {
		var e AccessEntry
		var raw []byte
		if err := rows.Scan(&raw, &e.Block); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &e.AccessRecord); err != nil {
			return nil, fmt.Errorf("access records of %s: %w", asset, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
