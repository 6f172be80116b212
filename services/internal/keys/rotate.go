package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// ActionChangeSubjectKey is the action a subject signs to change its key on
// chain: the subject chaincode's ChangeSubjectKey transaction.
const ActionChangeSubjectKey = model.ChaincodeSubject + ".ChangeSubjectKey"

// ActionChangeMemberKey is the action a department signs to change its
// member's key on chain: the subject chaincode's ChangeMemberKey transaction.
const ActionChangeMemberKey = model.ChaincodeSubject + ".ChangeMemberKey"

// MemberKeyChange is what the ledger client submits, as an identity of the
// member, to record a department's new key on chain:
// ChangeMemberKey(Canonical, Signature).
type MemberKeyChange struct {
	Request model.MemberKeyChange `json:"request"`
	// Canonical is model.Canonical(Request), the exact first argument.
	Canonical string `json:"canonical"`
	// Signature is the standard base64 DER SM2 signature by the
	// department's OLD key over model.SigningMessage(ActionChangeMemberKey,
	// Canonical), the second argument.
	Signature string `json:"signature"`
	// OldKeyID is the key that signed.
	OldKeyID string `json:"oldKeyId"`
}

// KeyChange is what the ledger client submits to record a subject's new key
// on chain: ChangeSubjectKey(Canonical, Signature).
type KeyChange struct {
	Request model.SubjectKeyChange `json:"request"`
	// Canonical is model.Canonical(Request), the exact first argument.
	Canonical string `json:"canonical"`
	// Signature is the standard base64 DER SM2 signature by the subject's
	// OLD key over model.SigningMessage(ActionChangeSubjectKey, Canonical),
	// the second argument.
	Signature string `json:"signature"`
	// OldKeyID is the key that signed.
	OldKeyID string `json:"oldKeyId"`
}

// Rotation is the result of Rotate.
type Rotation struct {
	Old Key `json:"old"`
	New Key `json:"new"`
	// Change is the chain write for a subject, MemberChange the one for a
	// department (its member's key); one of them is set.
	Change       *KeyChange       `json:"change,omitempty"`
	MemberChange *MemberKeyChange `json:"memberChange,omitempty"`
	// Backup is the owner's new k-of-n backup, made with the same threshold
	// and departments as before, now covering the new key too; nil when the
	// owner had none.
	Backup *Backup `json:"backup,omitempty"`
}

// Rotate gives owner a new key pair and symmetric account key (密钥更换,
// 7.4.3 b 1). The old key is retired, not deleted: it still decrypts and
// verifies what was made for it. The new key is sealed under the same
// password. The old key signs the chain request that installs the new
// public key — ChangeSubjectKey for a subject, ChangeMemberKey for a
// department's member — returned, and passed to Config.OnSubjectKeyChange or
// OnMemberKeyChange in the same transaction (with Config.OnCustodyChange);
// the service never calls the chain itself. note says why, as the chain records it (required).
func (s *Service) Rotate(ctx context.Context, owner Owner, password, note string) (*Rotation, error) {
	if err := owner.Validate(); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	// Refuse a note the chain would refuse before any key is unlocked.
	cur, err := s.db.activeKey(ctx, owner)
	if err != nil {
		return nil, err
	}
	var probe interface{ Validate() error } = &model.SubjectKeyChange{Subject: owner.ID, PublicKey: cur.PublicKeyPEM, Note: note}
	if owner.Kind == KindDepartment {
		probe = &model.MemberKeyChange{Member: owner.ID, PublicKey: cur.PublicKeyPEM, Note: note}
	}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	opened, err := s.unlockAll(ctx, owner, password)
	if err != nil {
		return nil, err
	}
	defer destroyAll(opened)
	old := opened[0]

	mat, err := newKeyMaterial()
	if err != nil {
		return nil, err
	}
	next, err := s.seal(owner, old.r.Version+1, mat, password)
	if err != nil {
		mat.destroy()
		return nil, err
	}
	nextKey := &SoftKey{key: next.Key, pub: &mat.priv.PublicKey, mat: mat}
	defer nextKey.Destroy()

	rot := &Rotation{Old: old.r.Key, New: next.Key}
	rot.Old.Status, rot.Old.RetiredAt = StatusRetired, next.CreatedAt
	if owner.Kind == KindSubject {
		if rot.Change, err = keyChange(old.sk, old.r.ID, owner, next.PublicKeyPEM, note); err != nil {
			return nil, err
		}
	} else if rot.MemberChange, err = memberKeyChange(old.sk, old.r.ID, owner, next.PublicKeyPEM, note); err != nil {
		return nil, err
	}

	var backup *backupRecord
	prev, err := s.db.currentBackup(ctx, owner)
	switch {
	case err == nil:
		all := append([]unlocked{{r: next, sk: nextKey}}, opened...)
		holders := make([]string, len(prev.Holders))
		for i, h := range prev.Holders {
			holders[i] = h.Department
		}
		if backup, err = s.makeBackup(ctx, owner, all, prev.Threshold, holders); err != nil {
			return nil, fmt.Errorf("renew the backup of %s for its new key: %w", owner, err)
		}
		rot.Backup = &backup.Backup
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}

	step, committed := s.custodyStep(ctx, CustodyChange{Owner: owner, Cause: CauseRotation})
	hook := func(tx pgx.Tx) error {
		var err error
		switch {
		case rot.Change != nil && s.onChange != nil:
			err = s.onChange(ctx, tx, *rot.Change)
		case rot.MemberChange != nil && s.onMember != nil:
			err = s.onMember(ctx, tx, *rot.MemberChange)
		}
		if err != nil {
			return err
		}
		return step(tx)
	}
	if err := s.db.rotate(ctx, old.r, next, backup, next.CreatedAt, hook); err != nil {
		return nil, err
	}
	committed()
	return rot, nil
}

// keyChange builds the subject's chain request and signs it with the old
// key through the Signer interface.
func keyChange(oldKey Signer, oldKeyID string, owner Owner, newPublicKeyPEM, note string) (*KeyChange, error) {
	req := model.SubjectKeyChange{Subject: owner.ID, PublicKey: newPublicKeyPEM, Note: note}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	canon, err := model.Canonical(&req)
	if err != nil {
		return nil, err
	}
	sig, err := signWith(oldKey, oldKeyID, model.SigningMessage(ActionChangeSubjectKey, canon))
	if err != nil {
		return nil, err
	}
	return &KeyChange{Request: req, Canonical: string(canon), Signature: EncodeSignature(sig.Value), OldKeyID: oldKeyID}, nil
}

// memberKeyChange builds a department's chain request for its member and
// signs it with the old key through the Signer interface.
func memberKeyChange(oldKey Signer, oldKeyID string, owner Owner, newPublicKeyPEM, note string) (*MemberKeyChange, error) {
	req := model.MemberKeyChange{Member: owner.ID, PublicKey: newPublicKeyPEM, Note: note}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	canon, err := model.Canonical(&req)
	if err != nil {
		return nil, err
	}
	sig, err := signWith(oldKey, oldKeyID, model.SigningMessage(ActionChangeMemberKey, canon))
	if err != nil {
		return nil, err
	}
	return &MemberKeyChange{Request: req, Canonical: string(canon), Signature: EncodeSignature(sig.Value), OldKeyID: oldKeyID}, nil
}
