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
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
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

// Inspection is a regulator's read of one asset: its record, and the outbox
// key of the regulate access that records the read on the chain.
type Inspection struct {
	Asset     RegulatedAsset `json:"asset"`
	OutboxKey string         `json:"outboxKey"`
}

// Inspect reads one asset in regulator's remit for reason: the access is
// recorded on the chain (authorization.RecordAccess, action regulate, as the
// regulator identity, through the outbox in the same transaction as the
// read) and in the audit log. An asset outside the remit is ErrNotFound.
func (s *Service) Inspect(ctx context.Context, aud Auditor, regulator, assetID, reason string) (out *Inspection, err error) {
	defer func() {
		s.audit(ctx, aud, regulator, "regulator.inspect", "asset/"+assetID, fmt.Sprintf(`{"reason":%q}`, reason), err)
	}()
	if s.cfg.Regulator == "" {
		return nil, fmt.Errorf("inspect: no regulator identity configured")
	}
	if err := checkID("regulator", regulator); err != nil {
		return nil, err
	}
	rec := model.AccessRecording{Asset: assetID, Accessor: regulator, Action: model.AccessRegulate, Reason: reason}
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	arg, err := model.Canonical(&rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out = &Inspection{}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a := &out.Asset
		err := tx.QueryRow(ctx, `SELECT a.id, a.type, a.owner, a.issuer, a.status, a.created_at, a.tx_id, a.record
			FROM ledger_assets a WHERE a.id = $2 AND `+remitSQL, regulator, assetID).
			Scan(&a.ID, &a.Type, &a.Owner, &a.Issuer, &a.Status, &a.CreatedAt, &a.TxID, &a.Record)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("asset %s in the remit of %s: %w", assetID, regulator, ErrNotFound)
		}
		if err != nil {
			return err
		}
		// Each read is its own access record: a fresh key, never a retry's.
		nonce := make([]byte, 12)
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		out.OutboxKey = "regulator/access/" + assetID + "/" + hex.EncodeToString(nonce)
		_, err = s.ob.Enqueue(ctx, tx, outbox.Write{
			Key: out.OutboxKey, Identity: s.cfg.Regulator, Chaincode: model.ChaincodeAuthorization,
			Function: "RecordAccess", Args: []string{string(arg), ""}, Lane: "asset/" + assetID,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", assetID, err)
	}
	return out, nil
}
