package supervision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// The regulator service (监管服务, 7.4.3 g): a regulator member sees the
// digital assets and the transactions in its remit — the asset types and the
// departments (issuers of assets, departments of process steps) configured
// for it — and reads an asset's record only with a stated reason. Every call
// is recorded in the audit log; a read of an asset is also recorded on the
// chain as an access with action regulate (authorization.RecordAccess), so
// the owner can see who inspected it, when and why.

// Auditor records a data access in the audit log.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Remit is what a regulator member regulates.
type Remit struct {
	Regulator   string   `json:"regulator"`
	Departments []string `json:"departments"`
	AssetTypes  []string `json:"assetTypes"`
}

// MaxRemit bounds the entries of a remit.
const MaxRemit = 200

// SetRemit replaces regulator's remit.
func (s *Service) SetRemit(ctx context.Context, r Remit) (Remit, error) {
	if err := checkID("regulator", r.Regulator); err != nil {
		return r, err
	}
	if len(r.Departments)+len(r.AssetTypes) == 0 || len(r.Departments)+len(r.AssetTypes) > MaxRemit {
		return r, fmt.Errorf("%w: a remit names 1 to %d departments and asset types", ErrInvalid, MaxRemit)
	}
	for _, d := range r.Departments {
		if err := checkID("department", d); err != nil {
			return r, err
		}
	}
	for _, a := range r.AssetTypes {
		if err := checkID("asset type", a); err != nil {
			return r, err
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM regulator_remits WHERE regulator = $1`, r.Regulator); err != nil {
			return err
		}
		for _, d := range r.Departments {
			if _, err := tx.Exec(ctx, `INSERT INTO regulator_remits (regulator, department) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.Regulator, d); err != nil {
				return err
			}
		}
		for _, a := range r.AssetTypes {
			if _, err := tx.Exec(ctx, `INSERT INTO regulator_remits (regulator, asset_type) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.Regulator, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("set remit of %s: %w", r.Regulator, err)
	}
	return s.Remit(ctx, r.Regulator)
}

// Remit returns regulator's remit (empty lists when none is configured).
func (s *Service) Remit(ctx context.Context, regulator string) (Remit, error) {
	r := Remit{Regulator: regulator, Departments: []string{}, AssetTypes: []string{}}
	if err := checkID("regulator", regulator); err != nil {
		return r, err
	}
	rows, err := s.pool.Query(ctx, `SELECT department, asset_type FROM regulator_remits WHERE regulator = $1 ORDER BY 1, 2`, regulator)
	if err != nil {
		return r, fmt.Errorf("remit of %s: %w", regulator, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, a string
		if err := rows.Scan(&d, &a); err != nil {
			return r, err
		}
		if d != "" {
			r.Departments = append(r.Departments, d)
		}
		if a != "" {
			r.AssetTypes = append(r.AssetTypes, a)
		}
	}
	return r, rows.Err()
}

// Remits returns every regulator member that has a remit, with it, in
// member order: who a regulator's people may act for.
func (s *Service) Remits(ctx context.Context) ([]Remit, error) {
	rows, err := s.pool.Query(ctx, `SELECT regulator, department, asset_type FROM regulator_remits ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("remits: %w", err)
	}
	defer rows.Close()
	out := []Remit{}
	for rows.Next() {
		var reg, d, a string
		if err := rows.Scan(&reg, &d, &a); err != nil {
			return nil, fmt.Errorf("remits: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Regulator != reg {
			out = append(out, Remit{Regulator: reg, Departments: []string{}, AssetTypes: []string{}})
		}
		r := &out[len(out)-1]
		if d != "" {
			r.Departments = append(r.Departments, d)
		}
		if a != "" {
			r.AssetTypes = append(r.AssetTypes, a)
		}
	}
	return out, rows.Err()
}

// remitSQL selects the assets of regulator $1's remit.
const remitSQL = `(a.type IN (SELECT asset_type FROM regulator_remits WHERE regulator = $1 AND asset_type <> '')
	OR a.issuer IN (SELECT department FROM regulator_remits WHERE regulator = $1 AND department <> ''))`

// AssetFilter selects assets of a remit, newest first.
type AssetFilter struct {
	Type   string
	Before time.Time
	Limit  int
}

// RegulatedAsset is an asset record as the regulator sees it in a list.
type RegulatedAsset struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Owner     string          `json:"owner"`
	Issuer    string          `json:"issuer"`
	Status    string          `json:"status"`
	CreatedAt time.Time       `json:"createdAt"`
	TxID      string          `json:"txId"`
	Record    json.RawMessage `json:"record,omitempty"`
}

func (s *Service) audit(ctx context.Context, aud Auditor, regulator, action, resource, detail string, err error) {
	if aud == nil {
		return
	}
	result := audit.ResultOK
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound), errors.Is(err, ErrDenied), errors.Is(err, ErrState),
		errors.Is(err, keys.ErrBadPassword), errors.Is(err, keys.ErrLocked), errors.Is(err, keys.ErrInvalid):
		result = audit.ResultRejected
	case err != nil:
		result = audit.ResultError
	}
	_ = aud.Record(ctx, audit.FromContext(ctx, audit.Entry{
		Time: s.now(), ActorKind: "member", ActorID: regulator, Action: action, Resource: resource, Result: result, Detail: detail,
	}))
}

// RegulatedAssets lists the assets in regulator's remit (without content),
// recording the access in the audit log.
func (s *Service) RegulatedAssets(ctx context.Context, aud Auditor, regulator string, f AssetFilter) (out []RegulatedAsset, err error) {
	defer func() {
		s.audit(ctx, aud, regulator, "regulator.assets", "ledger_assets", fmt.Sprintf(`{"type":%q,"count":%d}`, f.Type, len(out)), err)
	}()
	if err := checkID("regulator", regulator); err != nil {
		return nil, err
	}
	if f.Type != "" {
		if err := checkID("type", f.Type); err != nil {
			return nil, err
		}
	}
	if f.Limit < 0 || f.Limit > 200 {
		return nil, fmt.Errorf("%w: limit must be 1 to 200", ErrInvalid)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	var before *time.Time
	if !f.Before.IsZero() {
		before = &f.Before
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.type, a.owner, a.issuer, a.status, a.created_at, a.tx_id FROM ledger_assets a
		WHERE `+remitSQL+` AND ($2 = '' OR a.type = $2) AND ($3::timestamptz IS NULL OR a.created_at < $3)
		ORDER BY a.created_at DESC, a.id LIMIT $4`, regulator, f.Type, before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("regulated assets of %s: %w", regulator, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RegulatedAsset, error) {
		var a RegulatedAsset
		return a, r.Scan(&a.ID, &a.Type, &a.Owner, &a.Issuer, &a.Status, &a.CreatedAt, &a.TxID)
	})
}

// Transaction is one chain transaction in a regulator's remit.
type Transaction struct {
	TxID        string          `json:"txId"`
	Chaincode   string          `json:"chaincode"`
	Event       string          `json:"event"`
	BlockNumber int64           `json:"blockNumber"`
	ProjectedAt time.Time       `json:"projectedAt"`
	Payload     json.RawMessage `json:"payload"`
}

// RegulatedTransactions lists the transactions in regulator's remit, newest
// block first: asset and authorization events of its assets, approval events
// of its departments' steps. before (a block number) pages.
func (s *Service) RegulatedTransactions(ctx context.Context, aud Auditor, regulator string, before int64, limit int) (out []Transaction, err error) {
	defer func() {
		s.audit(ctx, aud, regulator, "regulator.transactions", "ledger_events", fmt.Sprintf(`{"count":%d}`, len(out)), err)
	}()
	if err := checkID("regulator", regulator); err != nil {
		return nil, err
	}
	if limit < 0 || limit > 200 || before < 0 {
		return nil, fmt.Errorf("%w: limit must be 1 to 200 and before a block number", ErrInvalid)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT e.tx_id, e.chaincode, e.event_name, e.block_number, e.projected_at, e.payload
		FROM ledger_events e
		WHERE e.problem IS NULL AND ($2 = 0 OR e.block_number < $2) AND (
			(e.chaincode IN ('asset', 'authorization') AND coalesce(e.payload->>'asset', e.payload->>'id') IN
				(SELECT a.id FROM ledger_assets a WHERE `+remitSQL+`))
			OR (e.chaincode = 'approval' AND e.payload->>'department' IN
				(SELECT department FROM regulator_remits WHERE regulator = $1 AND department <> '')))
		ORDER BY e.block_number DESC, e.tx_id LIMIT $3`, regulator, before, limit)
	if err != nil {
		return nil, fmt.Errorf("regulated transactions of %s: %w", regulator, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Transaction, error) {
		var t Transaction
		return t, r.Scan(&t.TxID, &t.Chaincode, &t.Event, &t.BlockNumber, &t.ProjectedAt, &t.Payload)
	})
}

// Inspection is a regulator's read of one asset: its record, its content
// when the regulator's key password was given, and the outbox key of the
// regulate access that records the read on the chain.
type Inspection struct {
	Asset     RegulatedAsset `json:"asset"`
	Content   []byte         `json:"content,omitempty"`
	OutboxKey string         `json:"outboxKey"`
}

// InspectInput asks to inspect one asset in a regulator's remit.
type InspectInput struct {
	// Regulator is the regulator member (its MSP ID).
	Regulator string
	Asset     string
	// Reason is why the regulator reads the asset; it goes on chain.
	Reason string
	// Password opens the regulator member's key (as a department's people
	// open their department's key); with it the content is returned,
	// without it the record only.
	Password string
}

// Inspect reads one asset in the regulator's remit for a reason. With a
// password, the data key wrapped for the regulator when the asset was issued
// is opened with the regulator member's key and the content decrypted before
// anything is recorded, so a wrong password or a missing key records
// nothing. Then, in one transaction, the access is enqueued for the chain
// (authorization.RecordAccess, action regulate, as the regulator identity);
// the content is returned only once that transaction has committed. Every
// call is in the audit log. An asset outside the remit (or unknown) is
// ErrDenied; content asked for an asset without a key for the regulator is
// ErrState.
func (s *Service) Inspect(ctx context.Context, aud Auditor, in InspectInput) (out *Inspection, err error) {
	defer func() {
		s.audit(ctx, aud, in.Regulator, "regulator.inspect", "asset/"+in.Asset,
			fmt.Sprintf(`{"reason":%q,"content":%t}`, in.Reason, out != nil && out.Content != nil), err)
	}()
	if s.cfg.Regulator == "" {
		return nil, fmt.Errorf("inspect: no regulator identity configured")
	}
	if err := checkID("regulator", in.Regulator); err != nil {
		return nil, err
	}
	rec := model.AccessRecording{Asset: in.Asset, Accessor: in.Regulator, Action: model.AccessRegulate, Reason: in.Reason}
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	arg, err := model.Canonical(&rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out = &Inspection{}
	if err := s.regulatedAsset(ctx, s.pool, in.Regulator, in.Asset, &out.Asset); err != nil {
		return nil, fmt.Errorf("inspect %s: %w", in.Asset, err)
	}
	if in.Password != "" {
		if out.Content, err = s.content(ctx, in.Regulator, in.Password, &out.Asset); err != nil {
			out = nil
			return nil, fmt.Errorf("inspect %s: %w", in.Asset, err)
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The remit may have changed while the key was opened.
		var again RegulatedAsset
		if err := s.regulatedAsset(ctx, tx, in.Regulator, in.Asset, &again); err != nil {
			return err
		}
		// Each read is its own access record: a fresh key, never a retry's.
		nonce := make([]byte, 12)
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		out.OutboxKey = "regulator/access/" + in.Asset + "/" + hex.EncodeToString(nonce)
		_, err = s.ob.Enqueue(ctx, tx, outbox.Write{
			Key: out.OutboxKey, Identity: s.cfg.Regulator, Chaincode: model.ChaincodeAuthorization,
			Function: "RecordAccess", Args: []string{string(arg), ""}, Lane: "asset/" + in.Asset,
		})
		return err
	})
	if err != nil {
		clear(out.Content)
		out = nil
		return nil, fmt.Errorf("inspect %s: %w", in.Asset, err)
	}
	return out, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// regulatedAsset reads asset id into a when it is in regulator's remit.
func (s *Service) regulatedAsset(ctx context.Context, q querier, regulator, id string, a *RegulatedAsset) error {
	err := q.QueryRow(ctx, `SELECT a.id, a.type, a.owner, a.issuer, a.status, a.created_at, a.tx_id, a.record
		FROM ledger_assets a WHERE a.id = $2 AND `+remitSQL, regulator, id).
		Scan(&a.ID, &a.Type, &a.Owner, &a.Issuer, &a.Status, &a.CreatedAt, &a.TxID, &a.Record)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("asset %s is not in the remit of %s: %w", id, regulator, ErrDenied)
	}
	return err
}

// content opens the asset's data key wrapped for regulator with the
// password of the regulator member's key and decrypts the content.
func (s *Service) content(ctx context.Context, regulator, password string, a *RegulatedAsset) ([]byte, error) {
	if s.cfg.Keys == nil || s.cfg.Store == nil {
		return nil, fmt.Errorf("content: no key service or object store configured")
	}
	var rec model.Asset
	if err := json.Unmarshal(a.Record, &rec); err != nil {
		return nil, fmt.Errorf("asset record: %w", err)
	}
	var wrapped *model.WrappedKey
	for i := range rec.Keys {
		if rec.Keys[i].Recipient == regulator {
			wrapped = &rec.Keys[i]
		}
	}
	if wrapped == nil {
		return nil, fmt.Errorf("no data key is wrapped for %s (the asset was issued before the remit covered it): %w", regulator, ErrState)
	}
	dk, err := s.cfg.Keys.Unwrap(ctx, keys.Owner{Kind: keys.KindDepartment, ID: regulator}, password, rec.ID, *wrapped)
	if err != nil {
		return nil, fmt.Errorf("open the data key as %s: %w", regulator, err)
	}
	defer clear(dk)
	plain, err := objectstore.GetSealed(ctx, s.cfg.Store, rec.StorageRef, dk, []byte(rec.ID))
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	return plain, nil
}
