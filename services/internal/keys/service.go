package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config tunes the key service. The zero value runs with the defaults.
type Config struct {
	// KDF is the derivation new and re-sealed envelopes get; DefaultKDF
	// when zero. Envelopes with weaker parameters are re-sealed with it the
	// next time their password opens them.
	KDF KDF
	// Lockout is the wrong-password policy; DefaultLockout when zero.
	Lockout Lockout
	// RecoveryTTL is how long a recovery may collect shares; 7 days when
	// zero, enough for departments to act during a working week.
	RecoveryTTL time.Duration
	// OnSubjectKeyChange, when set, runs inside the transaction that rotates
	// a subject's key, so that the chain write (an outbox row for the ledger
	// client) commits with the rotation or not at all.
	OnSubjectKeyChange func(ctx context.Context, tx pgx.Tx, change KeyChange) error
	// OnMemberKeyChange is the same for a department's key: the member's
	// ChangeMemberKey write, so that documents the department signs with its
	// new key verify on chain.
	OnMemberKeyChange func(ctx context.Context, tx pgx.Tx, change MemberKeyChange) error
	// OnCustodyChange, when set, runs inside the transaction that changes
	// what opens an owner's keys — ChangePassword, Rotate, CompleteRecovery
	// — so that what was granted on proof of the old password (a locker's
	// holders) ends with it or not at all. The function it returns, when not
	// nil, runs once that transaction committed: for what must follow the
	// commit rather than share it (the audit log, written apart). Its error
	// is logged; the change stands.
	OnCustodyChange func(ctx context.Context, tx pgx.Tx, change CustodyChange) (committed func() error, err error)
	// DepartmentSession is how long a department's key stays open in this
	// process after its password was checked (see sessions):
	// DefaultDepartmentSession when zero; negative disables it, so that
	// every operation derives the password again. People's keys are never
	// held open.
	DepartmentSession time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational warnings (never a secret); slog.Default()
	// when nil.
	Logger *slog.Logger
}

// DefaultRecoveryTTL is the lifetime of a recovery when Config leaves it
// zero.
const DefaultRecoveryTTL = 7 * 24 * time.Hour

// Service is the key service of 7.4.3 b, c and d: SM2 key pairs for subjects
// and departments held in custody under their unlock passwords, password
// change, rotation, k-of-n backup with recovery, and signing, verification,
// data-key wrapping and digests.
type Service struct {
	db        *store
	kdf       KDF
	lockout   Lockout
	ttl       time.Duration
	onChange  func(ctx context.Context, tx pgx.Tx, change KeyChange) error
	onMember  func(ctx context.Context, tx pgx.Tx, change MemberKeyChange) error
	onCustody func(ctx context.Context, tx pgx.Tx, change CustodyChange) (func() error, error)
	clock     func() time.Time
	log       *slog.Logger
	sessions  *sessions
}

// New returns the service over pool, whose schema must be migrated
// (postgres.Migrate).
func New(pool *pgxpool.Pool, cfg Config) (*Service, error) {
	s := &Service{db: &store{pool: pool}, kdf: cfg.KDF, lockout: cfg.Lockout, ttl: cfg.RecoveryTTL,
		onChange: cfg.OnSubjectKeyChange, onMember: cfg.OnMemberKeyChange, onCustody: cfg.OnCustodyChange, clock: cfg.Now, log: cfg.Logger}
	if s.kdf == (KDF{}) {
		s.kdf = DefaultKDF
	}
	if err := s.kdf.Validate(); err != nil {
		return nil, fmt.Errorf("key service: %w", err)
	}
	if s.lockout == (Lockout{}) {
		s.lockout = DefaultLockout
	}
	if s.lockout.MaxFailures < 1 || s.lockout.Cooldown <= 0 {
		return nil, fmt.Errorf("key service: lockout after %d failures for %s: both must be positive", s.lockout.MaxFailures, s.lockout.Cooldown)
	}
	if s.ttl <= 0 {
		s.ttl = DefaultRecoveryTTL
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	session := cfg.DepartmentSession
	if session == 0 {
		session = DefaultDepartmentSession
	}
	s.sessions = newSessions(max(session, 0))
	return s, nil
}

// now is the clock at PostgreSQL's precision, so that times read back equal
// times written.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Generate creates owner's first key pair (and symmetric account key) and
// puts it in custody under password. An owner that already has keys gets
// ErrExists: a new pair for an existing owner is a rotation.
func (s *Service) Generate(ctx context.Context, owner Owner, password string) (Key, error) {
	if err := owner.Validate(); err != nil {
		return Key{}, err
	}
	if err := CheckNewPassword(password); err != nil {
		return Key{}, err
	}
	mat, err := newKeyMaterial()
	if err != nil {
		return Key{}, err
	}
	defer mat.destroy()
	r, err := s.seal(owner, 1, mat, password)
	if err != nil {
		return Key{}, err
	}
	if err := s.db.createKey(ctx, r); err != nil {
		return Key{}, err
	}
	return r.Key, nil
}

// Keys returns all of owner's keys, newest first.
func (s *Service) Keys(ctx context.Context, owner Owner) ([]Key, error) {
	if err := owner.Validate(); err != nil {
		return nil, err
	}
	rs, err := s.db.ownerKeys(ctx, owner)
	if err != nil {
		return nil, err
	}
	out := make([]Key, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out, nil
}

// ActiveKey returns owner's active key.
func (s *Service) ActiveKey(ctx context.Context, owner Owner) (Key, error) {
	if err := owner.Validate(); err != nil {
		return Key{}, err
	}
	r, err := s.db.activeKey(ctx, owner)
	if err != nil {
		return Key{}, err
	}
	return r.Key, nil
}

// Unlock opens owner's active key with password for the caller's own
// operations; the caller must Destroy it. Wrong passwords count towards the
// lockout. A department's key comes from its open session when the
// password matches (see Config.DepartmentSession).
func (s *Service) Unlock(ctx context.Context, owner Owner, password string) (*SoftKey, error) {
	if err := owner.Validate(); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	r, err := s.db.activeKey(ctx, owner)
	if err != nil {
		return nil, err
	}
	return s.sessionUnlock(ctx, owner, r, password)
}

// sessionUnlock opens r, one of owner's records, for one operation: from
// the department's open session when r is the key it holds and the password
// matches, else with the password under the lockout counter (and, for a
// department's active key, into a new session).
func (s *Service) sessionUnlock(ctx context.Context, owner Owner, r *record, password string) (*SoftKey, error) {
	now := s.clock()
	if sk := s.sessions.borrow(owner, r, password, now); sk != nil {
		return sk, nil
	}
	sk, err := s.guardedUnlock(ctx, owner.String(), r, password)
	if err != nil {
		return nil, err
	}
	return s.sessions.keep(owner, r, password, sk, now), nil
}

// ChangePassword re-seals all of owner's keys, active and retired, under
// newPassword, and runs Config.OnCustodyChange in the same transaction. The
// key pairs do not change, so nothing on chain does either.
func (s *Service) ChangePassword(ctx context.Context, owner Owner, oldPassword, newPassword string) error {
	if err := owner.Validate(); err != nil {
		return err
	}
	if err := checkPassword(oldPassword); err != nil {
		return err
	}
	if err := CheckNewPassword(newPassword); err != nil {
		return err
	}
	unlocked, err := s.unlockAll(ctx, owner, oldPassword)
	if err != nil {
		return err
	}
	defer destroyAll(unlocked)
	reseals := make([]reseal, 0, len(unlocked))
	for _, u := range unlocked {
		env, err := u.reseal(s.kdf, newPassword)
		if err != nil {
			return err
		}
		reseals = append(reseals, reseal{keyID: u.r.ID, rev: u.r.rev, custody: env})
	}
	step, committed := s.custodyStep(ctx, CustodyChange{Owner: owner, Cause: CausePassword})
	if err := s.db.reseal(ctx, reseals, step); err != nil {
		return err
	}
	committed()
	return nil
}

// seal makes the record of mat as owner's key version, sealed under
// password.
func (s *Service) seal(owner Owner, version int, mat *keyMaterial, password string) (*record, error) {
	k, err := newKeyRecord(owner, version, &mat.priv.PublicKey, s.now())
	if err != nil {
		return nil, err
	}
	plain, err := mat.marshal()
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	env, err := sealEnvelope(s.kdf, password, plain, custodyAAD(owner, k.ID, version))
	if err != nil {
		return nil, err
	}
	return &record{Key: k, custody: env, rev: 1}, nil
}

// guardedUnlock opens r with password under principal's lockout counter.
func (s *Service) guardedUnlock(ctx context.Context, principal string, r *record, password string) (*SoftKey, error) {
	var sk *SoftKey
	err := s.guard(ctx, principal, func() error {
		var err error
		sk, err = s.open(ctx, r, password)
		return err
	})
	if err != nil {
		sk.Destroy() // opened, but the counter could not be reset
		return nil, err
	}
	return sk, nil
}

// guard runs try, which checks a password, under principal's lockout
// counter: refused while locked, counted as a failure when try returns
// ErrBadPassword, reset when it succeeds. Other errors leave the attempt
// counted, which errs on the side of the owner's safety.
func (s *Service) guard(ctx context.Context, principal string, try func() error) error {
	if err := s.db.admit(ctx, principal, s.now(), s.lockout); err != nil {
		return err
	}
	err := try()
	switch {
	case err == nil:
		if rerr := s.db.succeeded(ctx, principal); rerr != nil {
			return rerr
		}
	case errors.Is(err, ErrBadPassword):
		if ferr := s.db.failed(ctx, principal, s.now(), s.lockout); ferr != nil {
			return fmt.Errorf("record a wrong password: %w", ferr)
		}
	}
	return err
}

// open decrypts r's custody envelope with password and checks that the key
// inside is the one the record describes. An envelope sealed under weaker
// KDF parameters than the service's is re-sealed on the way (r is updated).
func (s *Service) open(ctx context.Context, r *record, password string) (*SoftKey, error) {
	plain, err := r.custody.open(password, custodyAAD(r.Owner, r.ID, r.Version))
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	mat, err := parseKeyMaterial(plain)
	if err != nil {
		return nil, fmt.Errorf("custody of key %s: %w", r.ID, err)
	}
	pub, err := r.PublicKey()
	if err != nil {
		mat.destroy()
		return nil, err
	}
	if !pub.Equal(&mat.priv.PublicKey) {
		mat.destroy()
		return nil, fmt.Errorf("custody of key %s holds another key", r.ID)
	}
	if r.custody.KDF.weakerThan(s.kdf) {
		s.rehash(ctx, r, password, plain)
	}
	return &SoftKey{key: r.Key, pub: pub, mat: mat}, nil
}

// rehash re-seals r under the service's KDF. A failure only delays the
// upgrade to the next unlock, so it is logged rather than returned.
func (s *Service) rehash(ctx context.Context, r *record, password string, plain []byte) {
	env, err := sealEnvelope(s.kdf, password, plain, custodyAAD(r.Owner, r.ID, r.Version))
	if err == nil {
		err = s.db.reseal(ctx, []reseal{{keyID: r.ID, rev: r.rev, custody: env}}, nil)
	}
	if err != nil {
		s.log.WarnContext(ctx, "key custody not upgraded to the current KDF", "key", r.ID, "from", r.custody.KDF.Iterations, "to", s.kdf.Iterations, "err", err)
		return
	}
	r.custody, r.rev = env, r.rev+1
}

// unlocked is a key opened together with its record.
type unlocked struct {
	r  *record
	sk *SoftKey
}

// reseal seals the unlocked key again under password.
func (u unlocked) reseal(kdf KDF, password string) (Envelope, error) {
	mat := u.sk.material()
	if mat == nil {
		return Envelope{}, ErrDestroyed
	}
	plain, err := mat.marshal()
	if err != nil {
		return Envelope{}, err
	}
	defer clear(plain)
	return sealEnvelope(kdf, password, plain, custodyAAD(u.r.Owner, u.r.ID, u.r.Version))
}

func destroyAll(us []unlocked) {
	for _, u := range us {
		u.sk.Destroy()
	}
}

// unlockAll opens every key of owner with password, the active one first
// and under the lockout counter; the retired ones share its password.
func (s *Service) unlockAll(ctx context.Context, owner Owner, password string) ([]unlocked, error) {
	rs, err := s.db.ownerKeys(ctx, owner)
	if err != nil {
		return nil, err
	}
	if rs[0].Status != StatusActive {
		return nil, fmt.Errorf("keys of %s: %w: no active key", owner, ErrNotFound)
	}
	active, err := s.guardedUnlock(ctx, owner.String(), rs[0], password)
	if err != nil {
		return nil, err
	}
	out := []unlocked{{r: rs[0], sk: active}}
	for _, r := range rs[1:] {
		sk, err := s.open(ctx, r, password)
		if err != nil {
			destroyAll(out)
			return nil, fmt.Errorf("retired key %s of %s does not open with the password of its active key: %w", r.ID, owner, err)
		}
		out = append(out, unlocked{r: r, sk: sk})
	}
	return out, nil
}

// newID returns a random 128-bit identifier in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
