package keys

import (
	"context"
	"crypto/hmac"
	"fmt"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Backup is a k-of-n backup of all of an owner's keys (密钥多方备份,
// 7.4.3 b 1): their custody secrets, concatenated, split with Shamir's scheme
// into one share per department, each share SM2-encrypted to that
// department's key. Any Threshold departments together recover the keys;
// fewer learn nothing about them.
type Backup struct {
	ID        string    `json:"id"`
	Owner     Owner     `json:"owner"`
	Threshold int       `json:"threshold"`
	KeyIDs    []string  `json:"keyIds"`
	Holders   []Holder  `json:"holders"`
	CreatedAt time.Time `json:"createdAt"`
}

// Holder is the department that holds one share.
type Holder struct {
	Department string `json:"department"`
	Index      int    `json:"index"`
	// KeyID is the department key the share is encrypted to; it may have
	// been retired since, and still decrypts it.
	KeyID string `json:"keyId"`
}

// Split backs up all of owner's keys, unlocked with password, as threshold
// of len(departments) shares, one for each department, each of which must
// have a key in this service. It replaces the owner's previous backup: the
// old shares are deleted and an open recovery of them is cancelled. Shares
// come from fresh random polynomials, so shares of two splits never combine.
func (s *Service) Split(ctx context.Context, owner Owner, password string, threshold int, departments []string) (Backup, error) {
	if err := owner.Validate(); err != nil {
		return Backup{}, err
	}
	if err := checkPassword(password); err != nil {
		return Backup{}, err
	}
	if err := checkHolders(owner, threshold, departments); err != nil {
		return Backup{}, err
	}
	unlocked, err := s.unlockAll(ctx, owner, password)
	if err != nil {
		return Backup{}, err
	}
	defer destroyAll(unlocked)
	b, err := s.makeBackup(ctx, owner, unlocked, threshold, departments)
	if err != nil {
		return Backup{}, err
	}
	if err := s.db.saveBackup(ctx, b, b.CreatedAt); err != nil {
		return Backup{}, err
	}
	return b.Backup, nil
}

// CurrentBackup returns owner's current backup (without shares).
func (s *Service) CurrentBackup(ctx context.Context, owner Owner) (Backup, error) {
	if err := owner.Validate(); err != nil {
		return Backup{}, err
	}
	b, err := s.db.currentBackup(ctx, owner)
	if err != nil {
		return Backup{}, err
	}
	return b.Backup, nil
}

func checkHolders(owner Owner, threshold int, departments []string) error {
	if threshold < 2 || threshold > len(departments) || len(departments) > MaxShares {
		return fmt.Errorf("%w: a backup needs 2 <= threshold (%d) <= departments (%d) <= %d", ErrInvalid, threshold, len(departments), MaxShares)
	}
	seen := make(map[string]bool, len(departments))
	for _, d := range departments {
		if err := (Owner{Kind: KindDepartment, ID: d}).Validate(); err != nil {
			return err
		}
		if seen[d] {
			return fmt.Errorf("%w: department %s is named twice; each share needs its own holder", ErrInvalid, d)
		}
		if owner.Kind == KindDepartment && owner.ID == d {
			return fmt.Errorf("%w: department %s cannot hold a share of its own keys", ErrInvalid, d)
		}
		seen[d] = true
	}
	return nil
}

// makeBackup splits the custody secrets of keys into shares for departments
// (indexes 1..n in the order given) and encrypts each to the department's
// active key.
func (s *Service) makeBackup(ctx context.Context, owner Owner, keys []unlocked, threshold int, departments []string) (*backupRecord, error) {
	holderKeys := make([]*record, len(departments))
	for i, d := range departments {
		r, err := s.db.activeKey(ctx, Owner{Kind: KindDepartment, ID: d})
		if err != nil {
			return nil, fmt.Errorf("share holder %s has no key in the key service: %w", d, err)
		}
		holderKeys[i] = r
	}
	b := &backupRecord{Backup: Backup{ID: newID(), Owner: owner, Threshold: threshold, CreatedAt: s.now()}}
	var secret []byte
	defer func() { clear(secret) }()
	for _, k := range keys {
		mat := k.sk.material()
		if mat == nil {
			return nil, ErrDestroyed
		}
		plain, err := mat.marshal()
		if err != nil {
			return nil, err
		}
		secret = append(secret, plain...)
		clear(plain)
		b.KeyIDs = append(b.KeyIDs, k.r.ID)
	}
	shares, err := Split(secret, threshold, len(departments))
	if err != nil {
		return nil, err
	}
	for i, sh := range shares {
		plain, _ := sh.MarshalBinary()
		clear(sh.Y)
		pub, err := holderKeys[i].PublicKey()
		if err != nil {
			clear(plain)
			return nil, err
		}
		ct, err := gm.Encrypt(pub, plain)
		digest := shareDigest(b.ID, plain)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("encrypt share for %s: %w", departments[i], err)
		}
		h := Holder{Department: departments[i], Index: int(sh.X), KeyID: holderKeys[i].ID}
		b.shares = append(b.shares, shareRecord{Holder: h, ciphertext: ct, digest: digest})
		b.Holders = append(b.Holders, h)
	}
	return b, nil
}

// shareDigest commits to one plain share of a backup, so that a submitted
// share is checked on arrival. A single share of a threshold of at least two
// is uniformly random whatever the secret, so the digest reveals nothing.
func shareDigest(backupID string, share []byte) string {
	return gm.Hex(append(joinAAD("KAIBAN-KEYS-SHARE-V1", backupID, ""), share...))
}

// RecoveryStatus is where a recovery stands.
type RecoveryStatus string

// Recovery statuses. Ready and expired are open recoveries seen at a time:
// ready has enough shares to complete, expired is past ExpiresAt.
const (
	RecoveryOpen      RecoveryStatus = "open"
	RecoveryReady     RecoveryStatus = "ready"
	RecoveryExpired   RecoveryStatus = "expired"
	RecoveryCompleted RecoveryStatus = "completed"
	RecoveryCancelled RecoveryStatus = "cancelled"
)

// Recovery collects shares of an owner's current backup (密钥找回,
// 7.4.3 b 1). It is opened with the owner's new password, each holding
// department decrypts its share with its own key and submits it, and once
// Threshold shares are in, the owner completes it with the same new
// password: the keys are recombined, checked against their public keys and
// sealed under the new password.
type Recovery struct {
	ID        string         `json:"id"`
	Owner     Owner          `json:"owner"`
	BackupID  string         `json:"backupId"`
	Threshold int            `json:"threshold"`
	Status    RecoveryStatus `json:"status"`
	// RequestedBy is who opened the recovery, as the caller named it (the
	// authenticated client); a department checks it before releasing its
	// share.
	RequestedBy string   `json:"requestedBy,omitempty"`
	Holders     []Holder `json:"holders"`
	// Submitted lists the departments whose shares are in.
	Submitted []string  `json:"submitted"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	ClosedAt  time.Time `json:"closedAt,omitzero"`
}

func (r *recoveryRecord) view(now time.Time) Recovery {
	v := Recovery{ID: r.ID, Owner: r.Owner, BackupID: r.backup.ID, Threshold: r.backup.Threshold, Status: r.Status, RequestedBy: r.RequestedBy,
		Holders: r.backup.Holders, Submitted: []string{}, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, ClosedAt: r.ClosedAt}
	for _, sh := range r.submitted {
		v.Submitted = append(v.Submitted, sh.holder)
	}
	if v.Status == RecoveryOpen {
		switch {
		case !now.Before(r.ExpiresAt):
			v.Status = RecoveryExpired
		case len(r.submitted) >= r.backup.Threshold:
			v.Status = RecoveryReady
		}
	}
	return v
}

// Requester is who asks to recover an owner's keys, as the caller was
// authenticated.
type Requester struct {
	// Name is recorded as the recovery's RequestedBy (the authenticated
	// client), for the holding departments to check before they release
	// their shares.
	Name string
	// Self is the key owner the requester itself is, when it is one: a
	// department's staff or system acting for their own member's key. Zero
	// when the requester is no key owner.
	Self Owner
	// SecurityAdmin is a requester who holds keys:admin, the security
	// administrator, who opens a recovery on an owner's behalf once the owner
	// has proved who they are (at the window, for a person or enterprise,
	// whose lost password is exactly why they cannot act themselves).
	SecurityAdmin bool
}

// ActsFor reports whether r may act for owner where no password of the
// owner's proves it — open a recovery of its keys, or create its first key:
// the owner itself or a security administrator, nobody else. Whoever opens a
// recovery chooses the password the recovered keys get, and whoever creates
// the first key its password, so anyone else could take the keys over.
func (r Requester) ActsFor(owner Owner) bool {
	return r.SecurityAdmin || (r.Self.Kind == owner.Kind && r.Self.ID == owner.ID && owner.ID != "")
}

// StartRecovery opens a recovery of owner's keys from its current backup.
// newPassword is the password the keys will have; it also seals the
// recovery's session key, to which submitted shares are encrypted, so that
// only whoever started the recovery can complete it. Only the owner itself
// or a security administrator on its behalf may start one (ErrForbidden,
// nothing stored); the requester's name is recorded for the departments to
// check before they release their shares. One recovery per owner is open at
// a time.
func (s *Service) StartRecovery(ctx context.Context, owner Owner, newPassword string, requester Requester) (Recovery, error) {
	if err := owner.Validate(); err != nil {
		return Recovery{}, err
	}
	if err := CheckNewPassword(newPassword); err != nil {
		return Recovery{}, err
	}
	requestedBy := requester.Name
	if len(requestedBy) > 256 {
		return Recovery{}, fmt.Errorf("%w: requester name longer than 256 bytes", ErrInvalid)
	}
	if !requester.ActsFor(owner) {
		return Recovery{}, fmt.Errorf("recover keys of %s: %q is neither the owner nor a security administrator: %w", owner, requestedBy, ErrForbidden)
	}
	b, err := s.db.currentBackup(ctx, owner)
	if err != nil {
		return Recovery{}, fmt.Errorf("recover keys of %s: %w", owner, err)
	}
	session, err := gm.GenerateKey()
	if err != nil {
		return Recovery{}, err
	}
	mat := &keyMaterial{priv: session, sym: make([]byte, gm.SM4KeySize)}
	defer mat.destroy()
	plain, err := mat.marshal()
	if err != nil {
		return Recovery{}, err
	}
	defer clear(plain)
	pubPEM, err := gm.MarshalPublicKeyPEM(&session.PublicKey)
	if err != nil {
		return Recovery{}, err
	}
	now := s.now()
	r := &recoveryRecord{ID: newID(), Owner: owner, Status: RecoveryOpen, RequestedBy: requestedBy, CreatedAt: now, ExpiresAt: now.Add(s.ttl),
		sessionPublic: string(pubPEM), backup: b}
	if r.session, err = sealEnvelope(s.kdf, newPassword, plain, recoveryAAD(r.ID)); err != nil {
		return Recovery{}, err
	}
	if err := s.db.openRecovery(ctx, r); err != nil {
		return Recovery{}, err
	}
	return r.view(now), nil
}

func recoveryAAD(id string) []byte { return joinAAD("KAIBAN-KEYS-RECOVERY-V1", id) }

// Recovery returns a recovery's state.
func (s *Service) Recovery(ctx context.Context, id string) (Recovery, error) {
	r, err := s.db.recovery(ctx, id)
	if err != nil {
		return Recovery{}, err
	}
	return r.view(s.now()), nil
}

// EncryptedShare returns department's share of recovery id, still encrypted
// to the department's key (Holder.KeyID), for a department system that
// decrypts with its own key and submits the plain share with SubmitShare.
func (s *Service) EncryptedShare(ctx context.Context, id, department string) ([]byte, Holder, error) {
	_, sh, err := s.openShare(ctx, id, department)
	if err != nil {
		return nil, Holder{}, err
	}
	return sh.ciphertext, sh.Holder, nil
}

// openShare reads recovery id, which must still be collecting, and
// department's share of its backup.
func (s *Service) openShare(ctx context.Context, id, department string) (*recoveryRecord, *shareRecord, error) {
	r, err := s.db.recovery(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if st := r.view(s.now()).Status; st != RecoveryOpen && st != RecoveryReady {
		return nil, nil, fmt.Errorf("%w: recovery %s is %s", ErrRecoveryState, id, st)
	}
	sh, ok := r.backup.share(department)
	if !ok {
		return nil, nil, fmt.Errorf("department %s holds no share of backup %s: %w", department, r.backup.ID, ErrNotFound)
	}
	return r, sh, nil
}

// SubmitShare adds department's decrypted share (Share.MarshalBinary
// encoding: index ‖ value) to recovery id. The share is checked against the
// digest recorded at the split (ErrBadShare if it differs) and stored
// encrypted to the recovery's session key. Submitting the same share again
// changes nothing.
func (s *Service) SubmitShare(ctx context.Context, id, department string, share []byte) (Recovery, error) {
	r, sh, err := s.openShare(ctx, id, department)
	if err != nil {
		return Recovery{}, err
	}
	if err := s.addShare(ctx, r, sh, share); err != nil {
		return Recovery{}, err
	}
	return s.Recovery(ctx, id)
}

// ReleaseShare is SubmitShare for a department whose key is in this
// service: the department's password unlocks its key, which decrypts its
// share, and the plain share never leaves the process. Wrong passwords count
// towards the department's lockout.
func (s *Service) ReleaseShare(ctx context.Context, id, department, password string) (Recovery, error) {
	if err := checkPassword(password); err != nil {
		return Recovery{}, err
	}
	r, sh, err := s.openShare(ctx, id, department)
	if err != nil {
		return Recovery{}, err
	}
	holderKey, err := s.db.keyByID(ctx, sh.KeyID)
	if err != nil {
		return Recovery{}, err
	}
	sk, err := s.guardedUnlock(ctx, holderKey.Owner.String(), holderKey, password)
	if err != nil {
		return Recovery{}, err
	}
	defer sk.Destroy()
	plain, err := sk.Decrypt(sh.ciphertext)
	if err != nil {
		return Recovery{}, fmt.Errorf("share of %s in backup %s: %w", department, r.backup.ID, err)
	}
	defer clear(plain)
	if err := s.addShare(ctx, r, sh, plain); err != nil {
		return Recovery{}, err
	}
	return s.Recovery(ctx, id)
}

func (s *Service) addShare(ctx context.Context, r *recoveryRecord, sh *shareRecord, share []byte) error {
	var parsed Share
	if err := parsed.UnmarshalBinary(share); err != nil {
		return fmt.Errorf("share of %s: %w", sh.Department, err)
	}
	defer clear(parsed.Y)
	if int(parsed.X) != sh.Index || !hmac.Equal([]byte(shareDigest(r.backup.ID, share)), []byte(sh.digest)) {
		return fmt.Errorf("share of %s for backup %s: %w", sh.Department, r.backup.ID, ErrBadShare)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(r.sessionPublic))
	if err != nil {
		return fmt.Errorf("session key of recovery %s: %w", r.ID, err)
	}
	ct, err := gm.Encrypt(pub, share)
	if err != nil {
		return fmt.Errorf("encrypt share for recovery %s: %w", r.ID, err)
	}
	return s.db.addRecoveryShare(ctx, r.ID, submittedShare{index: sh.Index, holder: sh.Department, ciphertext: ct}, s.now())
}

// CompleteRecovery finishes recovery id with the password it was started
// with: it combines the submitted shares, checks every recovered key against
// its public key, seals them under that password, closes the recovery,
// clears the owner's lockout and runs Config.OnCustodyChange — in one
// transaction. Wrong passwords count
// towards a lockout of the recovery itself.
func (s *Service) CompleteRecovery(ctx context.Context, id, newPassword string) ([]Key, error) {
	if err := checkPassword(newPassword); err != nil {
		return nil, err
	}
	r, err := s.db.recovery(ctx, id)
	if err != nil {
		return nil, err
	}
	v := r.view(s.now())
	if v.Status != RecoveryReady {
		return nil, fmt.Errorf("%w: recovery %s is %s with %d of %d shares", ErrRecoveryState, id, v.Status, len(r.submitted), r.backup.Threshold)
	}
	var session *keyMaterial
	err = s.guard(ctx, "recovery:"+id, func() error {
		plain, err := r.session.open(newPassword, recoveryAAD(id))
		if err != nil {
			return err
		}
		defer clear(plain)
		session, err = parseKeyMaterial(plain)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer session.destroy()

	shares := make([]Share, 0, len(r.submitted))
	defer func() {
		for _, sh := range shares {
			clear(sh.Y)
		}
	}()
	for _, sub := range r.submitted {
		plain, err := gm.Decrypt(session.priv, sub.ciphertext)
		if err != nil {
			return nil, fmt.Errorf("share of %s in recovery %s: %w", sub.holder, id, ErrDecrypt)
		}
		var sh Share
		err = sh.UnmarshalBinary(plain)
		clear(plain)
		if err != nil {
			return nil, err
		}
		shares = append(shares, sh)
	}
	secret, err := Combine(shares)
	if err != nil {
		return nil, err
	}
	defer clear(secret)

	reseals, recovered, err := s.resealRecovered(ctx, r, secret, newPassword)
	if err != nil {
		return nil, err
	}
	step, committed := s.custodyStep(ctx, CustodyChange{Owner: r.Owner, Cause: CauseRecovery})
	if err := s.db.completeRecovery(ctx, r, reseals, s.now(), step); err != nil {
		return nil, err
	}
	committed()
	return recovered, nil
}

// resealRecovered decodes the backup's keys from secret, checks each
// against its stored public key and seals it under password.
func (s *Service) resealRecovered(ctx context.Context, r *recoveryRecord, secret []byte, password string) ([]reseal, []Key, error) {
	var (
		reseals   []reseal
		recovered []Key
		rest      = secret
	)
	for _, keyID := range r.backup.KeyIDs {
		mat, tail, err := parseKeyMaterialPrefix(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("recovered key %s: %w", keyID, ErrBadShare)
		}
		rest = tail
		rec, err := s.db.keyByID(ctx, keyID)
		if err != nil {
			mat.destroy()
			return nil, nil, err
		}
		pub, err := rec.PublicKey()
		if err != nil || !pub.Equal(&mat.priv.PublicKey) || rec.Owner != r.Owner {
			mat.destroy()
			return nil, nil, fmt.Errorf("recovered key %s does not match its public key: %w", keyID, ErrBadShare)
		}
		u := unlocked{r: rec, sk: &SoftKey{key: rec.Key, pub: pub, mat: mat}}
		env, err := u.reseal(s.kdf, password)
		u.sk.Destroy()
		if err != nil {
			return nil, nil, err
		}
		reseals = append(reseals, reseal{keyID: keyID, rev: rec.rev, custody: env})
		recovered = append(recovered, rec.Key)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("recovered secret has %d bytes too many: %w", len(rest), ErrBadShare)
	}
	return reseals, recovered, nil
}

// CancelRecovery closes an open recovery; its submitted shares are deleted.
func (s *Service) CancelRecovery(ctx context.Context, id string) (Recovery, error) {
	if err := s.db.cancelRecovery(ctx, id, s.now()); err != nil {
		return Recovery{}, err
	}
	return s.Recovery(ctx, id)
}
