package subject

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// memberKinds are the kinds ListMembers accepts.
var memberKinds = []model.MemberKind{model.MemberOperator, model.MemberDepartment, model.MemberInstitution, model.MemberRegulator}

// Bootstrap founds the consortium (A.1): while no member exists, an admin of
// the organisation application.ID registers it as the first member, active
// and holding every member permission. application is a canonical
// model.MemberApplication signed (signature, base64) by application.PublicKey
// for ActionBootstrap. Retrying an identical bootstrap returns the member.
func (c *Contract) Bootstrap(ctx contractapi.TransactionContextInterface, application, signature string) (*model.Member, error) {
	a, err := memberApplicant(ctx, application, signature, ActionBootstrap)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	var existing model.Member
	found, err := load(stub, objMember, a.ID, &existing)
	if err != nil {
		return nil, err
	}
	if found && sameMemberApplication(&existing, a) {
		return &existing, nil
	}
	if founded, err := anyMember(stub); err != nil {
		return nil, err
	} else if founded {
		return nil, model.Errorf(model.CodeState, "the consortium is already bootstrapped; apply with ApplyMember")
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	m := newMember(a, signature, st)
	m.Status = model.StatusActive
	m.Permissions = slices.Clone(model.MemberPermissions)
	if err := putMember(stub, m, ""); err != nil {
		return nil, err
	}
	return done(m, ledger.Emit(stub, model.EventMemberReviewed, m))
}

// ApplyMember files an organisation's admission application (准入申请,
// 7.4.2 a; A.2). The caller is an admin of application.ID's organisation;
// application is a canonical model.MemberApplication signed by
// application.PublicKey for ActionApplyMember, which proves possession of the
// key the member will sign with. The member is pending until reviewed. A
// rejected organisation may apply again; an identical retry returns the
// existing member; a different application for a member that is not
// rejected is a CONFLICT.
func (c *Contract) ApplyMember(ctx contractapi.TransactionContextInterface, application, signature string) (*model.Member, error) {
	a, err := memberApplicant(ctx, application, signature, ActionApplyMember)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	var existing model.Member
	found, err := load(stub, objMember, a.ID, &existing)
	if err != nil {
		return nil, err
	}
	if found && existing.Status != model.StatusRejected {
		if sameMemberApplication(&existing, a) {
			return &existing, nil
		}
		return nil, model.Errorf(model.CodeConflict, "member %s is %s with a different application", a.ID, existing.Status)
	}
	if founded, err := anyMember(stub); err != nil {
		return nil, err
	} else if !founded {
		return nil, model.Errorf(model.CodeState, "the consortium has not been bootstrapped yet")
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	m := newMember(a, signature, st)
	oldKind := ""
	if found {
		m.CreatedAt, m.CreatedTx = existing.CreatedAt, existing.CreatedTx
		oldKind = string(existing.Kind)
	}
	if err := putMember(stub, m, oldKind); err != nil {
		return nil, err
	}
	return done(m, ledger.Emit(stub, model.EventMemberApplied, m))
}

// ReviewMember decides a pending application (准入审核, 7.4.2 a; A.2): an
// admin of an active member holding model.PermMember approves it with the
// member's permissions or rejects it. review is a JSON model.MemberReview.
// Retrying the same decision returns the member unchanged.
func (c *Contract) ReviewMember(ctx contractapi.TransactionContextInterface, review string) (*model.Member, error) {
	var r model.MemberReview
	if err := model.Decode(review, &r); err != nil {
		return nil, err
	}
	reviewer, err := governor(ctx, model.PermMember)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	m, err := directory{}.Member(ctx, r.Member)
	if err != nil {
		return nil, err
	}
	status, perms := model.StatusRejected, permissions(r.Permissions, model.MemberPermissions)
	if r.Approve {
		status = model.StatusActive
	}
	if m.Status != model.StatusPending {
		if m.Status == status && m.ReviewedBy == reviewer.ID && m.Note == r.Note && slices.Equal(m.Permissions, perms) {
			return m, nil
		}
		return nil, model.Errorf(model.CodeState, "member %s is %s, not pending", m.ID, m.Status)
	}
	m.Status, m.Permissions, m.ReviewedBy, m.Note = status, perms, reviewer.ID, r.Note
	if err := touchMember(stub, m); err != nil {
		return nil, err
	}
	return done(m, ledger.Emit(stub, model.EventMemberReviewed, m))
}

// SetMemberPermissions replaces an active or suspended member's permissions
// (操作权限管理, 7.4.2 a). The caller is an admin of an active member holding
// model.PermMember; at least one active member must keep model.PermMember.
// change is a JSON model.MemberChange. Setting the permissions a member
// already has writes nothing.
func (c *Contract) SetMemberPermissions(ctx contractapi.TransactionContextInterface, change string) (*model.Member, error) {
	var ch model.MemberChange
	if err := model.Decode(change, &ch); err != nil {
		return nil, err
	}
	if _, err := governor(ctx, model.PermMember); err != nil {
		return nil, err
	}
	m, err := directory{}.Member(ctx, ch.Member)
	if err != nil {
		return nil, err
	}
	if m.Status != model.StatusActive && m.Status != model.StatusSuspended {
		return nil, model.Errorf(model.CodeState, "member %s is %s; only an admitted member has permissions", m.ID, m.Status)
	}
	perms := permissions(ch.Permissions, model.MemberPermissions)
	if slices.Equal(m.Permissions, perms) {
		return m, nil
	}
	m.Permissions, m.Note = perms, ch.Note
	return changeMember(ctx.GetStub(), m)
}

// SuspendMember suspends an active member (7.4.2 a): it can no longer act
// anywhere on the chain. The caller is an admin of another active member
// holding model.PermMember; at least one active member must keep
// model.PermMember. change is a JSON model.MemberChange without permissions.
// Retrying with the same note returns the suspended member unchanged.
func (c *Contract) SuspendMember(ctx contractapi.TransactionContextInterface, change string) (*model.Member, error) {
	var ch model.MemberChange
	if err := model.Decode(change, &ch); err != nil {
		return nil, err
	}
	if err := emptyPermissions("SuspendMember", ch.Permissions); err != nil {
		return nil, err
	}
	actor, err := governor(ctx, model.PermMember)
	if err != nil {
		return nil, err
	}
	if ch.Member == actor.ID {
		return nil, model.Errorf(model.CodeDenied, "member %s cannot suspend itself", actor.ID)
	}
	return moveMember(ctx, &ch, model.StatusActive, model.StatusSuspended)
}

// ReinstateMember makes a suspended member active again (7.4.2 a). The
// caller is an admin of an active member holding model.PermMember. change is
// a JSON model.MemberChange without permissions; the member keeps the ones it
// had. Retrying with the same note returns the member unchanged.
func (c *Contract) ReinstateMember(ctx contractapi.TransactionContextInterface, change string) (*model.Member, error) {
	var ch model.MemberChange
	if err := model.Decode(change, &ch); err != nil {
		return nil, err
	}
	if err := emptyPermissions("ReinstateMember", ch.Permissions); err != nil {
		return nil, err
	}
	if _, err := governor(ctx, model.PermMember); err != nil {
		return nil, err
	}
	return moveMember(ctx, &ch, model.StatusSuspended, model.StatusActive)
}

// ChangeMemberKey replaces a member's SM2 public key (密钥更换, 7.4.3 b 1),
// as a department's key rotation in the key service asks. change is a
// canonical model.MemberKeyChange; signature is the member's signature with
// its CURRENT key for ActionChangeMemberKey, so the key that signed the
// member's earlier documents hands over to the new one. The caller is an
// identity of the member itself, which is active or suspended. Asking for
// the key the member already has writes nothing, so a retried change
// returns the member. Emits MemberKeyChanged; the previous key stays in the
// member's history (GetHistoryForKey, and the platform's projection), which
// verifies what it signed before the change.
func (c *Contract) ChangeMemberKey(ctx contractapi.TransactionContextInterface, change, signature string) (*model.Member, error) {
	var ch model.MemberKeyChange
	if err := model.DecodeCanonical(change, &ch); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if caller.MSPID != ch.Member {
		return nil, model.Errorf(model.CodeDenied, "an identity of %s cannot change the key of member %s", caller.MSPID, ch.Member)
	}
	if err := publicKey("publicKey", ch.PublicKey); err != nil {
		return nil, err
	}
	m, err := directory{}.Member(ctx, ch.Member)
	if err != nil {
		return nil, err
	}
	if m.PublicKey == ch.PublicKey {
		return m, nil
	}
	if m.Status != model.StatusActive && m.Status != model.StatusSuspended {
		return nil, model.Errorf(model.CodeState, "member %s is %s; only an admitted member changes its key", m.ID, m.Status)
	}
	if err := verify(m.PublicKey, ActionChangeMemberKey, change, signature, "member "+m.ID); err != nil {
		return nil, err
	}
	m.PublicKey, m.Note = ch.PublicKey, ch.Note
	stub := ctx.GetStub()
	if err := touchMember(stub, m); err != nil {
		return nil, err
	}
	return done(m, ledger.Emit(stub, model.EventMemberKeyChanged, m))
}

// GetMember returns the member whose MSP ID is id, or a NOT_FOUND error.
// The other chaincodes call it through access.Remote.
func (c *Contract) GetMember(ctx contractapi.TransactionContextInterface, id string) (*model.Member, error) {
	return directory{}.Member(ctx, id)
}

// ListMembers returns a page of members in ID order, all of them when kind
// is "" or those of one model.MemberKind. pageSize 0 means the default;
// bookmark "" starts at the beginning, otherwise it is the previous page's.
func (c *Contract) ListMembers(ctx contractapi.TransactionContextInterface, kind string, pageSize int32, bookmark string) (*model.MemberPage, error) {
	if kind != "" && !slices.Contains(memberKinds, model.MemberKind(kind)) {
		return nil, model.Errorf(model.CodeInvalid, "member kind %q is not one of %v", kind, memberKinds)
	}
	items, next, err := list[model.Member](ctx.GetStub(), objMember, idxMemberKind, kind, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	return &model.MemberPage{Items: items, Bookmark: next}, nil
}

// memberApplicant decodes and checks a member application: canonical,
// submitted by an admin of the applying organisation, signed by the key it
// registers.
func memberApplicant(ctx contractapi.TransactionContextInterface, application, signature, action string) (*model.MemberApplication, error) {
	var a model.MemberApplication
	if err := model.DecodeCanonical(application, &a); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.RequireAdmin(caller); err != nil {
		return nil, err
	}
	if caller.MSPID != a.ID {
		return nil, model.Errorf(model.CodeDenied, "an admin of %s cannot apply for member %s", caller.MSPID, a.ID)
	}
	if err := publicKey("publicKey", a.PublicKey); err != nil {
		return nil, err
	}
	if err := verify(a.PublicKey, action, application, signature, "member "+a.ID); err != nil {
		return nil, err
	}
	return &a, nil
}

// governor returns the caller's member when the caller is an admin of an
// active member holding perm: consortium governance is done by
// organisation admins.
func governor(ctx contractapi.TransactionContextInterface, perm model.Permission) (*model.Member, error) {
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.RequireAdmin(caller); err != nil {
		return nil, err
	}
	return access.ActiveMember(ctx, directory{}, caller, perm)
}

// moveMember changes a member's status from one value to another for
// SuspendMember and ReinstateMember.
func moveMember(ctx contractapi.TransactionContextInterface, ch *model.MemberChange, from, to string) (*model.Member, error) {
	m, err := directory{}.Member(ctx, ch.Member)
	if err != nil {
		return nil, err
	}
	if m.Status == to && m.Note == ch.Note {
		return m, nil
	}
	if m.Status != from {
		return nil, model.Errorf(model.CodeState, "member %s is %s, not %s", m.ID, m.Status, from)
	}
	m.Status, m.Note = to, ch.Note
	return changeMember(ctx.GetStub(), m)
}

// changeMember writes a changed member after making sure the consortium
// keeps an active member that can govern it, and emits MemberChanged.
func changeMember(stub ledger.Stub, m *model.Member) (*model.Member, error) {
	if err := keepGovernor(stub, m); err != nil {
		return nil, err
	}
	if err := touchMember(stub, m); err != nil {
		return nil, err
	}
	return done(m, ledger.Emit(stub, model.EventMemberChanged, m))
}

// keepGovernor refuses a change after which no active member would hold
// model.PermMember: nobody could then admit, review or reinstate anyone. It
// reads every member with a range query, which Fabric re-checks at commit,
// so two concurrent changes cannot each remove the other's last governor.
// The consortium has tens of members, so the scan is small.
func keepGovernor(stub ledger.Stub, changed *model.Member) error {
	if changed.Status == model.StatusActive && model.Has(changed.Permissions, model.PermMember) {
		return nil
	}
	governs := false
	err := ledger.All(stub, objMember, nil, func(attrs []string, raw []byte) error {
		if governs || attrs[0] == changed.ID {
			return nil
		}
		var m model.Member
		if err := decode(raw, &m, objMember); err != nil {
			return err
		}
		governs = m.Status == model.StatusActive && model.Has(m.Permissions, model.PermMember)
		return nil
	})
	if err != nil {
		return err
	}
	if !governs {
		return model.Errorf(model.CodeState, "member %s is the last active member holding the %s permission; the consortium cannot lock itself out", changed.ID, model.PermMember)
	}
	return nil
}

// anyMember reports whether the consortium has been bootstrapped.
func anyMember(stub ledger.Stub) (bool, error) {
	found := false
	err := ledger.All(stub, objMember, nil, func([]string, []byte) error {
		found = true
		return errStop
	})
	if err == errStop {
		err = nil
	}
	return found, err
}

func newMember(a *model.MemberApplication, signature string, st ledger.Stamp) *model.Member {
	return &model.Member{
		ID:         a.ID,
		Name:       a.Name,
		Kind:       a.Kind,
		Department: a.Department,
		PublicKey:  a.PublicKey,
		Status:     model.StatusPending,
		Signature:  signature,
		CreatedAt:  st.At,
		CreatedTx:  st.Tx,
		UpdatedAt:  st.At,
		UpdatedTx:  st.Tx,
	}
}

func sameMemberApplication(m *model.Member, a *model.MemberApplication) bool {
	return m.Name == a.Name && m.Kind == a.Kind && m.Department == a.Department && m.PublicKey == a.PublicKey
}

func putMember(stub ledger.Stub, m *model.Member, oldKind string) error {
	return store(stub, objMember, idxMemberKind, m.ID, string(m.Kind), oldKind, m)
}

// touchMember stamps and writes a member whose kind has not changed.
func touchMember(stub ledger.Stub, m *model.Member) error {
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return err
	}
	m.UpdatedAt, m.UpdatedTx = st.At, st.Tx
	return putMember(stub, m, string(m.Kind))
}
