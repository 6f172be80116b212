package subject

import (
	"maps"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// subjectKinds are the kinds ListSubjects accepts.
var subjectKinds = []model.SubjectKind{model.SubjectEnterprise, model.SubjectPerson, model.SubjectInstitution}

// ApplySubject files a locker-opening application (数字保险箱开户申请,
// 7.4.2 b; A.5 a). The caller is any identity of an active member — usually
// its acceptance window — which becomes the subject's sponsor. application
// is a canonical model.SubjectApplication signed by application.PublicKey
// for ActionApplySubject; it carries only salted SM3 commitments of the
// identity data (7.3 e), never the data. The subject's ID is
// model.SubjectID(kind, commitments["identity"]). A rejected subject may
// apply again; an identical retry returns the subject; a different
// application for a subject that is not rejected is a CONFLICT.
func (c *Contract) ApplySubject(ctx contractapi.TransactionContextInterface, application, signature string) (*model.Subject, error) {
	var a model.SubjectApplication
	if err := model.DecodeCanonical(application, &a); err != nil {
		return nil, err
	}
	sponsor, err := actingMember(ctx)
	if err != nil {
		return nil, err
	}
	if err := publicKey("publicKey", a.PublicKey); err != nil {
		return nil, err
	}
	if err := verify(a.PublicKey, ActionApplySubject, application, signature, "the applying subject"); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	id := model.SubjectID(a.Kind, a.Commitments[model.CommitIdentity])
	var existing model.Subject
	found, err := load(stub, objSubject, id, &existing)
	if err != nil {
		return nil, err
	}
	if found && existing.Status != model.StatusRejected {
		if existing.PublicKey == a.PublicKey && maps.Equal(existing.Commitments, a.Commitments) {
			return &existing, nil
		}
		return nil, model.Errorf(model.CodeConflict, "subject %s is %s with a different application", id, existing.Status)
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	s := &model.Subject{
		ID:          id,
		Kind:        a.Kind,
		Commitments: a.Commitments,
		PublicKey:   a.PublicKey,
		Status:      model.StatusPending,
		Sponsor:     sponsor.ID,
		Signature:   signature,
		CreatedAt:   st.At,
		CreatedTx:   st.Tx,
		UpdatedAt:   st.At,
		UpdatedTx:   st.Tx,
	}
	oldKind := ""
	if found {
		s.CreatedAt, s.CreatedTx = existing.CreatedAt, existing.CreatedTx
		oldKind = string(existing.Kind)
	}
	if err := store(stub, objSubject, idxSubjectKind, s.ID, string(s.Kind), oldKind, s); err != nil {
		return nil, err
	}
	return done(s, ledger.Emit(stub, model.EventSubjectApplied, s))
}

// ReviewSubject decides a pending locker-opening application (许可准入,
// 7.4.2 b; A.5 b): a member holding model.PermSubject approves it with the
// subject's permissions (transact, publish-contract, issue-asset) or rejects
// it. review is a JSON model.SubjectReview. Retrying the same decision
// returns the subject unchanged.
func (c *Contract) ReviewSubject(ctx contractapi.TransactionContextInterface, review string) (*model.Subject, error) {
	var r model.SubjectReview
	if err := model.Decode(review, &r); err != nil {
		return nil, err
	}
	reviewer, err := actingMember(ctx, model.PermSubject)
	if err != nil {
		return nil, err
	}
	s, err := directory{}.Subject(ctx, r.Subject)
	if err != nil {
		return nil, err
	}
	status, perms := model.StatusRejected, permissions(r.Permissions, model.SubjectPermissions)
	if r.Approve {
		status = model.StatusActive
	}
	if s.Status != model.StatusPending {
		if s.Status == status && s.ReviewedBy == reviewer.ID && s.Note == r.Note && slices.Equal(s.Permissions, perms) {
			return s, nil
		}
		return nil, model.Errorf(model.CodeState, "subject %s is %s, not pending", s.ID, s.Status)
	}
	s.Status, s.Permissions, s.ReviewedBy, s.Note = status, perms, reviewer.ID, r.Note
	return done(s, writeSubject(ctx.GetStub(), s, model.EventSubjectReviewed))
}

// SetSubjectPermissions replaces an active or frozen subject's permissions
// (操作权限管理, 7.4.2 b). The caller is a member holding model.PermSubject.
// change is a JSON model.SubjectChange. Setting the permissions a subject
// already has writes nothing.
func (c *Contract) SetSubjectPermissions(ctx contractapi.TransactionContextInterface, change string) (*model.Subject, error) {
	var ch model.SubjectChange
	if err := model.Decode(change, &ch); err != nil {
		return nil, err
	}
	if _, err := actingMember(ctx, model.PermSubject); err != nil {
		return nil, err
	}
	s, err := directory{}.Subject(ctx, ch.Subject)
	if err != nil {
		return nil, err
	}
	if s.Status != model.StatusActive && s.Status != model.StatusFrozen {
		return nil, model.Errorf(model.CodeState, "subject %s is %s; only an admitted subject has permissions", s.ID, s.Status)
	}
	perms := permissions(ch.Permissions, model.SubjectPermissions)
	if slices.Equal(s.Permissions, perms) {
		return s, nil
	}
	s.Permissions, s.Note = perms, ch.Note
	return done(s, writeSubject(ctx.GetStub(), s, model.EventSubjectChanged))
}

// FreezeSubject freezes an active subject: it can neither act nor receive
// until unfrozen. The caller is a member holding model.PermSubject. change
// is a JSON model.SubjectChange without permissions; retrying it with the
// same note returns the frozen subject unchanged.
func (c *Contract) FreezeSubject(ctx contractapi.TransactionContextInterface, change string) (*model.Subject, error) {
	return moveSubject(ctx, "FreezeSubject", change, model.StatusActive, model.StatusFrozen)
}

// UnfreezeSubject makes a frozen subject active again. The caller is a
// member holding model.PermSubject. change is a JSON model.SubjectChange
// without permissions; retrying it with the same note returns the subject
// unchanged.
func (c *Contract) UnfreezeSubject(ctx contractapi.TransactionContextInterface, change string) (*model.Subject, error) {
	return moveSubject(ctx, "UnfreezeSubject", change, model.StatusFrozen, model.StatusActive)
}

// ChangeSubjectKey replaces a subject's SM2 public key (密钥更换, 7.4.3 b 1).
// change is a canonical model.SubjectKeyChange. Self-service: signature is
// the subject's signature with its CURRENT key for ActionChangeSubjectKey,
// the subject is active and the caller is any identity of an active member.
// Recovery after a k-of-n key recovery, when the old key is lost: signature
// is "", the caller's member holds model.PermSubject, and the subject may be
// active or frozen. Asking for the key the subject already has writes
// nothing, so a retried change returns the subject.
func (c *Contract) ChangeSubjectKey(ctx contractapi.TransactionContextInterface, change, signature string) (*model.Subject, error) {
	var ch model.SubjectKeyChange
	if err := model.DecodeCanonical(change, &ch); err != nil {
		return nil, err
	}
	recovery := signature == ""
	var perms []model.Permission
	if recovery {
		perms = append(perms, model.PermSubject)
	}
	if _, err := actingMember(ctx, perms...); err != nil {
		return nil, err
	}
	if err := publicKey("publicKey", ch.PublicKey); err != nil {
		return nil, err
	}
	s, err := directory{}.Subject(ctx, ch.Subject)
	if err != nil {
		return nil, err
	}
	if s.PublicKey == ch.PublicKey {
		return s, nil
	}
	switch {
	case s.Status == model.StatusActive:
	case s.Status == model.StatusFrozen && recovery:
	default:
		return nil, model.Errorf(model.CodeState, "subject %s is %s; its key cannot be changed this way", s.ID, s.Status)
	}
	if !recovery {
		if err := verify(s.PublicKey, ActionChangeSubjectKey, change, signature, "subject "+s.ID); err != nil {
			return nil, err
		}
	}
	s.PublicKey, s.Note = ch.PublicKey, ch.Note
	return done(s, writeSubject(ctx.GetStub(), s, model.EventSubjectKeyChanged))
}

// GetSubject returns the subject with ID id, or a NOT_FOUND error. The other
// chaincodes call it through access.Remote.
func (c *Contract) GetSubject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error) {
	return directory{}.Subject(ctx, id)
}

// ListSubjects returns a page of subjects in ID order, all of them when kind
// is "" or those of one model.SubjectKind.
func (c *Contract) ListSubjects(ctx contractapi.TransactionContextInterface, kind string, pageSize int32, bookmark string) (*model.SubjectPage, error) {
	if kind != "" && !slices.Contains(subjectKinds, model.SubjectKind(kind)) {
		return nil, model.Errorf(model.CodeInvalid, "subject kind %q is not one of %v", kind, subjectKinds)
	}
	items, next, err := list[model.Subject](ctx.GetStub(), objSubject, idxSubjectKind, kind, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	return &model.SubjectPage{Items: items, Bookmark: next}, nil
}

// actingMember returns the caller's member when it is active and holds
// perms; any identity of the organisation may act for it.
func actingMember(ctx contractapi.TransactionContextInterface, perms ...model.Permission) (*model.Member, error) {
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	return access.ActiveMember(ctx, directory{}, caller, perms...)
}

// moveSubject changes a subject's status from one value to another for
// FreezeSubject and UnfreezeSubject.
func moveSubject(ctx contractapi.TransactionContextInterface, function, change, from, to string) (*model.Subject, error) {
	var ch model.SubjectChange
	if err := model.Decode(change, &ch); err != nil {
		return nil, err
	}
	if err := emptyPermissions(function, ch.Permissions); err != nil {
		return nil, err
	}
	if _, err := actingMember(ctx, model.PermSubject); err != nil {
		return nil, err
	}
	s, err := directory{}.Subject(ctx, ch.Subject)
	if err != nil {
		return nil, err
	}
	if s.Status == to && s.Note == ch.Note {
		return s, nil
	}
	if s.Status != from {
		return nil, model.Errorf(model.CodeState, "subject %s is %s, not %s", s.ID, s.Status, from)
	}
	s.Status, s.Note = to, ch.Note
	return done(s, writeSubject(ctx.GetStub(), s, model.EventSubjectChanged))
}

// writeSubject stamps and writes a subject whose kind has not changed and
// emits event.
func writeSubject(stub ledger.Stub, s *model.Subject, event string) error {
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return err
	}
	s.UpdatedAt, s.UpdatedTx = st.At, st.Tx
	if err := store(stub, objSubject, idxSubjectKind, s.ID, string(s.Kind), string(s.Kind), s); err != nil {
		return err
	}
	return ledger.Emit(stub, event, s)
}
