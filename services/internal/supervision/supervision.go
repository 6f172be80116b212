// Package supervision is business-process supervision (DB37/T 4431-2021
// 7.6.6: 业务办理环节、业务办理时限、是否人工干预) and the regulator service
// (7.4.3 g). It reads the chain's projection (ledger_processes, ledger_steps,
// ledger_interventions, ledger_assets, ledger_events) and writes to the chain
// only through the outbox: approval.MarkOverdue when a ready step passes its
// deadline (a River job, OverdueWorker), approval.Intervene for a
// supervisor's intervention, authorization.RecordAccess (action regulate)
// when a regulator reads an asset. A reopen and the process's bundle
// (issuance.Bundle) exclude each other under one lock per process: see
// ReopenUnderWay.
package supervision

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// Errors callers branch on.
var (
	// ErrInvalid wraps every validation failure.
	ErrInvalid = errors.New("supervision: invalid")
	// ErrNotFound is a process, step or asset the projection does not hold.
	ErrNotFound = errors.New("supervision: not found")
	// ErrDenied is an asset a regulator may not inspect: outside its remit
	// (or unknown, which a regulator cannot tell apart).
	ErrDenied = errors.New("supervision: denied")
	// ErrState is an inspection asking for content the regulator holds no
	// key for: the asset was issued before the remit covered it.
	ErrState = errors.New("supervision: wrong state")
)

// Unwrapper opens a data key wrapped for a regulator member with the
// password of its key; *keys.Service implements it.
type Unwrapper interface {
	Unwrap(ctx context.Context, owner keys.Owner, password, assetID string, w model.WrappedKey) ([]byte, error)
}

// Enqueuer is the outbox as supervision uses it.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, w outbox.Write) (int64, error)
}

// Config says who supervision acts as on the chain.
type Config struct {
	// Supervisor is the chain identity of MarkOverdue and Intervene
	// ("OperatorMSP/supervisor"): a user of an active member whose
	// certificate carries the supervisor role.
	Supervisor string
	// Regulator is the chain identity that records regulator reads
	// ("RegulatorMSP/regulator"); its MSP ID is the accessor on chain.
	Regulator string
	// Keys and Store let an inspection return an asset's content: the data
	// key wrapped for the regulator member at issue (locker.Issue) is opened
	// with the password of the member's key, the content read from Store.
	// Without them an inspection returns the record only.
	Keys  Unwrapper
	Store objectstore.Store
}

// Service is supervision over one database.
type Service struct {
	pool *pgxpool.Pool
	ob   Enqueuer
	cfg  Config
	now  func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns the supervision service.
func New(pool *pgxpool.Pool, ob Enqueuer, cfg Config, opts ...Option) *Service {
	s := &Service{pool: pool, ob: ob, cfg: cfg, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$`)

func checkID(field, v string) error {
	if !idPattern.MatchString(v) {
		return fmt.Errorf("%w: %s %q is not an ID", ErrInvalid, field, v)
	}
	return nil
}
