package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// The key service's operations (api-spec block `# --- keys ---`): each
// handler turns the generated request into one keys.Service call and the
// result into the generated response. Passwords go from the body to the
// service and nowhere else.

// errKeysOff is the answer of a process that does not run the key service.
var errKeysOff = errors.New("the key service does not run in this process")

func (s *Server) keyService() (*keys.Service, error) {
	if s.keys == nil {
		return nil, errKeysOff
	}
	return s.keys, nil
}

func keyOwner(kind api.KeyOwnerKind, id string) keys.Owner {
	return keys.Owner{Kind: keys.Kind(kind), ID: id}
}

// deref returns *p, or "" for a field the contract made optional only
// because it is write-only (the validator has enforced it when required).
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ListKeys returns an owner's keys.
func (s *Server) ListKeys(ctx context.Context, r api.ListKeysRequestObject) (api.ListKeysResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	ks, err := svc.Keys(ctx, keyOwner(r.OwnerKind, r.OwnerId))
	if err != nil {
		return nil, err
	}
	return api.ListKeys200JSONResponse(keyList(ks)), nil
}

// GenerateKey creates an owner's first key pair.
func (s *Server) GenerateKey(ctx context.Context, r api.GenerateKeyRequestObject) (api.GenerateKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	owner := keyOwner(r.OwnerKind, r.OwnerId)
	if err := owner.Validate(); err != nil {
		return nil, err
	}
	// Whoever creates the first key chooses its password: only the owner
	// or a security administrator may.
	if !s.keyRequester(ctx).ActsFor(owner) {
		return nil, fmt.Errorf("generate a key for %s: neither the owner nor a security administrator: %w", owner, keys.ErrForbidden)
	}
	k, err := svc.Generate(ctx, owner, deref(r.Body.Password))
	if err != nil {
		return nil, err
	}
	return api.GenerateKey201JSONResponse(keyInfo(k)), nil
}

// ChangeKeyPassword re-seals an owner's keys under a new password.
func (s *Server) ChangeKeyPassword(ctx context.Context, r api.ChangeKeyPasswordRequestObject) (api.ChangeKeyPasswordResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	if err := svc.ChangePassword(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.OldPassword), deref(r.Body.NewPassword)); err != nil {
		return nil, err
	}
	return api.ChangeKeyPassword204Response{}, nil
}

// RotateKey gives an owner a new key pair.
func (s *Server) RotateKey(ctx context.Context, r api.RotateKeyRequestObject) (api.RotateKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	rot, err := svc.Rotate(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.Password), deref(r.Body.Note))
	if err != nil {
		return nil, err
	}
	out := api.RotateKey200JSONResponse{Old: keyInfo(rot.Old), New: keyInfo(rot.New)}
	if ch := rot.Change; ch != nil {
		out.Change = &api.KeySubjectKeyChange{Canonical: ch.Canonical, Signature: ch.Signature, OldKeyId: ch.OldKeyID}
		out.Change.Request.Subject, out.Change.Request.PublicKey, out.Change.Request.Note = ch.Request.Subject, ch.Request.PublicKey, ch.Request.Note
	}
	if rot.Backup != nil {
		b := keyBackup(*rot.Backup)
		out.Backup = &b
	}
	return out, nil
}

// signedMessage is the message a sign or verify request names: message as
// it is, or the chain signing message of action and canonical.
func signedMessage(message *[]byte, action, canonical *string) ([]byte, error) {
	switch {
	case message != nil && action == nil && canonical == nil:
		return *message, nil
	case message == nil && action != nil && canonical != nil && *action != "":
		return model.SigningMessage(*action, []byte(*canonical)), nil
	}
	return nil, fieldError("/", "give either message, or action and canonical")
}

// SignWithKey signs with an owner's active key.
func (s *Server) SignWithKey(ctx context.Context, r api.SignWithKeyRequestObject) (api.SignWithKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	msg, err := signedMessage(r.Body.Message, r.Body.Action, r.Body.Canonical)
	if err != nil {
		return nil, err
	}
	sig, err := svc.Sign(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.Password), msg)
	if err != nil {
		return nil, err
	}
	return api.SignWithKey200JSONResponse{KeyId: sig.KeyID, Signature: sig.Value}, nil
}

// VerifyWithKey checks a signature against an owner's keys.
func (s *Server) VerifyWithKey(ctx context.Context, r api.VerifyWithKeyRequestObject) (api.VerifyWithKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	msg, err := signedMessage(r.Body.Message, r.Body.Action, r.Body.Canonical)
	if err != nil {
		return nil, err
	}
	k, err := svc.Verify(ctx, keyOwner(r.OwnerKind, r.OwnerId), msg, r.Body.Signature)
	if err != nil {
		return nil, err
	}
	return api.VerifyWithKey200JSONResponse{KeyId: k.ID}, nil
}

// WrapDataKey wraps an asset's data key for an owner in either mode.
func (s *Server) WrapDataKey(ctx context.Context, r api.WrapDataKeyRequestObject) (api.WrapDataKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	owner := keyOwner(r.OwnerKind, r.OwnerId)
	var w model.WrappedKey
	switch model.EncryptionMode(r.Body.Mode) {
	case model.EncryptAsymmetric:
		if r.Body.Password != nil || r.Body.AssetId != nil {
			return nil, fieldError("/", "mode sm2 takes neither password nor assetId")
		}
		w, err = svc.WrapFor(ctx, owner, r.Body.DataKey)
	default: // sm4; the contract allows no other
		if r.Body.Password == nil || r.Body.AssetId == nil {
			return nil, fieldError("/", "mode sm4 needs password and assetId")
		}
		w, err = svc.WrapSymmetric(ctx, owner, *r.Body.Password, *r.Body.AssetId, r.Body.DataKey)
	}
	if err != nil {
		return nil, err
	}
	return api.WrapDataKey200JSONResponse{Recipient: w.Recipient, Mode: api.WrappedKeyMode(w.Mode), Key: w.Key}, nil
}

// UnwrapDataKey returns the data key inside a wrapped key.
func (s *Server) UnwrapDataKey(ctx context.Context, r api.UnwrapDataKeyRequestObject) (api.UnwrapDataKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	w := model.WrappedKey{Recipient: r.Body.Key.Recipient, Mode: model.EncryptionMode(r.Body.Key.Mode), Key: r.Body.Key.Key}
	if w.Mode == model.EncryptSymmetric && r.Body.AssetId == nil {
		return nil, fieldError("/assetId", "mode sm4 needs the asset ID")
	}
	dataKey, err := svc.Unwrap(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.Password), deref(r.Body.AssetId), w)
	if err != nil {
		return nil, err
	}
	return api.UnwrapDataKey200JSONResponse{DataKey: dataKey}, nil
}

// DigestData returns the SM3 digest of the body, streamed.
func (s *Server) DigestData(_ context.Context, r api.DigestDataRequestObject) (api.DigestDataResponseObject, error) {
	counted := &countingReader{r: r.Body}
	digest, err := keys.Digest(counted)
	if err != nil {
		return nil, err
	}
	return api.DigestData200JSONResponse{Algorithm: "sm3", Digest: digest, Size: counted.n}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// GetKeyBackup returns an owner's current backup.
func (s *Server) GetKeyBackup(ctx context.Context, r api.GetKeyBackupRequestObject) (api.GetKeyBackupResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	b, err := svc.CurrentBackup(ctx, keyOwner(r.OwnerKind, r.OwnerId))
	if err != nil {
		return nil, err
	}
	return api.GetKeyBackup200JSONResponse(keyBackup(b)), nil
}

// SplitKey backs up an owner's keys as k-of-n shares.
func (s *Server) SplitKey(ctx context.Context, r api.SplitKeyRequestObject) (api.SplitKeyResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	b, err := svc.Split(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.Password), r.Body.Threshold, r.Body.Departments)
	if err != nil {
		return nil, err
	}
	return api.SplitKey201JSONResponse(keyBackup(b)), nil
}

// StartKeyRecovery opens a recovery of an owner's keys.
func (s *Server) StartKeyRecovery(ctx context.Context, r api.StartKeyRecoveryRequestObject) (api.StartKeyRecoveryResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	rec, err := svc.StartRecovery(ctx, keyOwner(r.OwnerKind, r.OwnerId), deref(r.Body.NewPassword), s.keyRequester(ctx))
	if err != nil {
		return nil, err
	}
	return api.StartKeyRecovery201JSONResponse(keyRecovery(rec)), nil
}

// GetKeyRecovery returns a recovery.
func (s *Server) GetKeyRecovery(ctx context.Context, r api.GetKeyRecoveryRequestObject) (api.GetKeyRecoveryResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	rec, err := svc.Recovery(ctx, r.RecoveryId)
	if err != nil {
		return nil, err
	}
	return api.GetKeyRecovery200JSONResponse(keyRecovery(rec)), nil
}

// CancelKeyRecovery cancels an open recovery.
func (s *Server) CancelKeyRecovery(ctx context.Context, r api.CancelKeyRecoveryRequestObject) (api.CancelKeyRecoveryResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	rec, err := svc.CancelRecovery(ctx, r.RecoveryId)
	if err != nil {
		return nil, err
	}
	return api.CancelKeyRecovery200JSONResponse(keyRecovery(rec)), nil
}

// GetKeyShare returns a department's share, encrypted to its key.
func (s *Server) GetKeyShare(ctx context.Context, r api.GetKeyShareRequestObject) (api.GetKeyShareResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	ct, h, err := svc.EncryptedShare(ctx, r.RecoveryId, r.Department)
	if err != nil {
		return nil, err
	}
	return api.GetKeyShare200JSONResponse{Department: h.Department, Index: h.Index, KeyId: h.KeyID, Ciphertext: ct}, nil
}

// SubmitKeyShare adds a department's share to a recovery, either the plain
// share or the department's password to release it with.
func (s *Server) SubmitKeyShare(ctx context.Context, r api.SubmitKeyShareRequestObject) (api.SubmitKeyShareResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	var rec keys.Recovery
	switch b := r.Body; {
	case b.Share != nil && b.Password == nil:
		rec, err = svc.SubmitShare(ctx, r.RecoveryId, r.Department, *b.Share)
	case b.Share == nil && b.Password != nil:
		rec, err = svc.ReleaseShare(ctx, r.RecoveryId, r.Department, *b.Password)
	default:
		return nil, fieldError("/", "give either share or password")
	}
	if err != nil {
		return nil, err
	}
	return api.SubmitKeyShare200JSONResponse(keyRecovery(rec)), nil
}

// CompleteKeyRecovery recombines and re-seals the keys of a ready recovery.
func (s *Server) CompleteKeyRecovery(ctx context.Context, r api.CompleteKeyRecoveryRequestObject) (api.CompleteKeyRecoveryResponseObject, error) {
	svc, err := s.keyService()
	if err != nil {
		return nil, err
	}
	ks, err := svc.CompleteRecovery(ctx, r.RecoveryId, deref(r.Body.NewPassword))
	if err != nil {
		return nil, err
	}
	return api.CompleteKeyRecovery200JSONResponse(keyList(ks)), nil
}

func fieldError(field, detail string) error {
	return &ValidationError{Fields: []api.FieldError{{In: "body", Field: field, Detail: detail}}}
}

func keyInfo(k keys.Key) api.KeyInfo {
	out := api.KeyInfo{
		Id: k.ID, Owner: api.KeyOwner{Kind: api.KeyOwnerKind(k.Owner.Kind), Id: k.Owner.ID}, Version: k.Version,
		Status: api.KeyInfoStatus(k.Status), PublicKey: k.PublicKeyPEM, Fingerprint: k.Fingerprint, CreatedAt: k.CreatedAt,
	}
	out.RetiredAt = optionalTime(k.RetiredAt)
	return out
}

func keyList(ks []keys.Key) api.KeyList {
	out := api.KeyList{Items: make([]api.KeyInfo, len(ks))}
	for i, k := range ks {
		out.Items[i] = keyInfo(k)
	}
	return out
}

func keyHolders(hs []keys.Holder) []api.KeyHolder {
	out := make([]api.KeyHolder, len(hs))
	for i, h := range hs {
		out[i] = api.KeyHolder{Department: h.Department, Index: h.Index, KeyId: h.KeyID}
	}
	return out
}

func keyBackup(b keys.Backup) api.KeyBackup {
	return api.KeyBackup{
		Id: b.ID, Owner: api.KeyOwner{Kind: api.KeyOwnerKind(b.Owner.Kind), Id: b.Owner.ID}, Threshold: b.Threshold,
		KeyIds: b.KeyIDs, Holders: keyHolders(b.Holders), CreatedAt: b.CreatedAt,
	}
}

func keyRecovery(r keys.Recovery) api.KeyRecovery {
	return api.KeyRecovery{
		Id: r.ID, Owner: api.KeyOwner{Kind: api.KeyOwnerKind(r.Owner.Kind), Id: r.Owner.ID}, BackupId: r.BackupID,
		Threshold: r.Threshold, Status: api.KeyRecoveryStatus(r.Status), Holders: keyHolders(r.Holders),
		RequestedBy: optionalString(r.RequestedBy),
		Submitted:   r.Submitted, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, ClosedAt: optionalTime(r.ClosedAt),
	}
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// keyRequester is the caller as the key service judges a recovery request:
// a security administrator (keys:admin), and the department key owner its
// department is on chain (the registry's member), if any.
func (s *Server) keyRequester(ctx context.Context) keys.Requester {
	req := keys.Requester{Name: Client(ctx), SecurityAdmin: s.Require(ctx, identity.Perm("keys", "admin")) == nil}
	if p := Caller(ctx); p != nil && p.Department != "" && s.workflow.Registry != nil {
		if m, err := s.workflow.Registry.Member(ctx, p.Department); err == nil && m != "" {
			req.Self = keys.Owner{Kind: keys.KindDepartment, ID: m}
		}
	}
	return req
}
