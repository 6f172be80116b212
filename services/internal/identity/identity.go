// Package identity is Kaiban's identity and access management (DB37/T
// 4431-2021 7.6.4 职责权限管理, 8.1 b 身份识别与访问控制): departments,
// positions, users and roles; password login with a password policy,
// lockout and optional TOTP; sessions; role-based access control with the
// three separated administrator roles of GB/T 22239 (系统管理员, 安全管理员,
// 审计管理员); and the department systems (7.7) and ISVs (A.3) that call the
// API with mTLS client certificates or signed API keys.
//
// The Service holds the rules and its PostgreSQL storage; HTTP handlers and
// the authentication middleware live in package httpapi. docs/security.md
// explains each choice (KDF, timeouts, signature scheme).
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Config holds the identity service's parameters. The zero value of every
// field but SecretKey takes the default given.
type Config struct {
	// SecretKey (32 random bytes, from configuration, never in the database)
	// seals TOTP secrets and API-key secrets with SM4-GCM and keys the MACs
	// of recovery codes.
	SecretKey []byte
	// PasswordIterations is the PBKDF2-HMAC-SM3 iteration count for new
	// password hashes (default 200,000 ≈ 160 ms on the reference machine).
	PasswordIterations int
	// PasswordHistory is how many previous passwords may not be reused (5).
	PasswordHistory int
	// MaxFailedLogins locks an account after this many consecutive failures (5).
	MaxFailedLogins int
	// LockoutDuration is how long a locked account stays locked (15 min).
	LockoutDuration time.Duration
	// SourceMaxFailures blocks a source address after this many failed
	// logins, on any accounts, within SourceWindow (20 in 15 min).
	SourceMaxFailures int
	SourceWindow      time.Duration
	// SessionIdle ends a session unused for this long (30 min).
	SessionIdle time.Duration
	// SessionAbsolute ends a session this long after login, used or not (12 h).
	SessionAbsolute time.Duration
	// SignatureWindow is how far a signed request's timestamp may be from
	// the server's clock (5 min); nonces are kept this long.
	SignatureWindow time.Duration
	// TOTPIssuer names the platform in authenticator apps ("Kaiban").
	TOTPIssuer string
}

func (c *Config) defaults() error {
	if len(c.SecretKey) < 32 {
		return fmt.Errorf("identity: secret key is %d bytes, want at least 32", len(c.SecretKey))
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.PasswordIterations, DefaultPasswordIterations)
	def(&c.PasswordHistory, 5)
	def(&c.MaxFailedLogins, 5)
	defDur(&c.LockoutDuration, 15*time.Minute)
	def(&c.SourceMaxFailures, 20)
	defDur(&c.SourceWindow, 15*time.Minute)
	defDur(&c.SessionIdle, 30*time.Minute)
	defDur(&c.SessionAbsolute, 12*time.Hour)
	defDur(&c.SignatureWindow, 5*time.Minute)
	if c.TOTPIssuer == "" {
		c.TOTPIssuer = "Kaiban"
	}
	return nil
}

// Sealer protects personal data at rest; *pii.Protector implements it. Staff
// names are personal information (GB/T 35273) like applicants' are.
type Sealer interface {
	Seal(field, rowID, value string) ([]byte, error)
	Open(field, rowID string, ciphertext []byte) (string, error)
}

// Recorder records security events in the audit log; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service is the identity and access service.
type Service struct {
	db       *pgxpool.Pool
	cfg      Config
	names    Sealer
	rec      Recorder
	now      func() time.Time
	sealKey  []byte // SM4 key for TOTP and API-key secrets
	macKey   []byte // HMAC-SM3 key for recovery codes
	policy   *policyCache
	dummyPwd string // a hash verified for unknown logins, so timing does not tell

	useCache bool
	cache    *cache // nil without WithCache
	log      *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the service's clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithCache keeps checked sessions and read users in memory, so that a
// request with a known session token, or a GetUser of a user read before,
// costs no query, and listens on its own database connection for the
// changes that must drop them at once (cache.go).
// Close stops the listener.
func WithCache() Option { return func(s *Service) { s.useCache = true } }

// WithLogger sets where the cache reports a lost listener
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRecorder sends security events (logins, lockouts, role changes,
// credential issuance) to rec. Without it they are not recorded.
func WithRecorder(rec Recorder) Option { return func(s *Service) { s.rec = rec } }

// New returns a Service over db. names seals users' display names.
func New(db *pgxpool.Pool, names Sealer, cfg Config, opts ...Option) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Service{
		db:      db,
		cfg:     cfg,
		names:   names,
		now:     time.Now,
		log:     slog.Default(),
		sealKey: gm.HMAC(cfg.SecretKey, []byte("kaiban/identity/seal"))[:gm.SM4KeySize],
		macKey:  gm.HMAC(cfg.SecretKey, []byte("kaiban/identity/recovery-code")),
	}
	for _, o := range opts {
		o(s)
	}
	s.policy = newPolicyCache(db)
	if s.useCache {
		s.cache = newCache(s.log, s.policy.invalidate)
		s.cache.start(db)
	}
	dummy, err := hashPassword("kaiban-dummy-password", s.cfg.PasswordIterations)
	if err != nil {
		return nil, err
	}
	s.dummyPwd = dummy
	return s, nil
}

// Close stops the cache's listener. The Service must not be used
// after; without WithCache, Close does nothing.
func (s *Service) Close() {
	if s.cache != nil {
		s.cache.stop()
	}
}

// WaitCache waits until the cache listens for changes, so that the
// next requests may be answered from it (tests and benchmarks; a process
// serves correctly meanwhile, from the database). Without WithCache
// it returns at once.
func (s *Service) WaitCache(ctx context.Context) error {
	if s.cache == nil {
		return nil
	}
	return s.cache.waitOnline(ctx)
}

// record sends a security event to the audit log, if one is configured. A
// failure to record is returned: an event that must be audited and cannot be
// is a failure of the operation (GB/T 22239 审计进程保护).
func (s *Service) record(ctx context.Context, e audit.Entry) error {
	if s.rec == nil {
		return nil
	}
	if err := s.rec.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// Errors callers branch on. HTTP maps them to problem types in one place.
var (
	// ErrInvalidCredentials: unknown login, wrong password, wrong code.
	// Deliberately one error, so a caller learns nothing about which.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrAccountLocked: too many failures; try again after the cool-down.
	ErrAccountLocked = errors.New("account locked after repeated failed logins")
	// ErrSourceBlocked: too many failures from this address.
	ErrSourceBlocked = errors.New("too many failed logins from this address")
	// ErrTOTPRequired: the password was right and the account needs a
	// one-time code as well.
	ErrTOTPRequired = errors.New("one-time code required")
	// ErrUnauthenticated: no valid session, signature or certificate.
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrForbidden: authenticated, but the roles do not permit it.
	ErrForbidden = errors.New("not permitted")
	// ErrPasswordChangeRequired: the account must change its password
	// before doing anything else.
	ErrPasswordChangeRequired = errors.New("password change required")
	// ErrNotFound: no such department, position, user, role or client.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken, or the object is in a state that
	// does not allow the change.
	ErrConflict = errors.New("conflict")
	// ErrSeparationOfDuties: the assignment would give one user two of the
	// three administrator roles.
	ErrSeparationOfDuties = errors.New("separation of duties: one user may hold only one of the system, security and audit administrator roles")
	// ErrSelfAssignment: nobody changes their own roles.
	ErrSelfAssignment = errors.New("separation of duties: you cannot change your own roles")
	// ErrReplay: a signed request's nonce was already used.
	ErrReplay = errors.New("replayed request")
	// ErrStaleRequest: a signed request's timestamp is outside the window.
	ErrStaleRequest = errors.New("request timestamp outside the allowed window")
)

// ErrInvalid matches every *InvalidError with errors.Is.
var ErrInvalid = errors.New("invalid input")

// InvalidError reports bad input: which field and why. Nothing was changed.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalid) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
