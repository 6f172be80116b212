package alliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Contract registry states (7.4.3 e, 7.6.5).
const (
	ContractSubmitted  = "submitted"
	ContractApproved   = "approved"
	ContractRejected   = "rejected"
	ContractTesting    = "testing"
	ContractProduction = "production"
	ContractSuperseded = "superseded"
	ContractAbolished  = "abolished"
)

// ContractDefinition is the business definition of one chaincode version
// (智能合约的业务定义): what it is for, which asset types it governs, and
// the package that implements it.
type ContractDefinition struct {
	Chaincode     string   `json:"chaincode"`
	Version       string   `json:"version"`
	Name          string   `json:"name"`
	Purpose       string   `json:"purpose"`
	AssetTypes    []string `json:"assetTypes"`
	PackageDigest string   `json:"packageDigest"`
}

// ContractEvent is one transition of a registered contract.
type ContractEvent struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// Contract is a registered chaincode version and where it is in its
// lifecycle.
type Contract struct {
	ID int64 `json:"id"`
	ContractDefinition
	Status      string          `json:"status"`
	SubmittedBy string          `json:"submittedBy"`
	ReviewedBy  string          `json:"reviewedBy,omitempty"`
	ReviewNote  string          `json:"reviewNote,omitempty"`
	History     []ContractEvent `json:"history"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

var (
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$`)
	digestPattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func text(field, v string, max int) error {
	if strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > max {
		return invalid("%s is required, at most %d characters", field, max)
	}
	return nil
}

// SubmitContract registers a chaincode version's business definition for
// review. The asset types it governs must be defined on chain.
func (s *Service) SubmitContract(ctx context.Context, actor string, d ContractDefinition) (*Contract, error) {
	switch {
	case !chaincodeName.MatchString(d.Chaincode):
		return nil, invalid("chaincode %q must be 1-64 lower-case letters, digits, _ or - starting with a letter", d.Chaincode)
	case !versionPattern.MatchString(d.Version):
		return nil, invalid("version %q must be 1-32 letters, digits and .+_-", d.Version)
	case !digestPattern.MatchString(d.PackageDigest):
		return nil, invalid("packageDigest must be the package's 64-character lower-case hex SM3 or SHA-256 digest")
	}
	if err := text("name", d.Name, 200); err != nil {
		return nil, err
	}
	if err := text("purpose", d.Purpose, 2000); err != nil {
		return nil, err
	}
	if d.AssetTypes == nil {
		d.AssetTypes = []string{}
	}
	seen := map[string]bool{}
	for _, code := range d.AssetTypes {
		if seen[code] {
			return nil, invalid("assetTypes lists %s twice", code)
		}
		seen[code] = true
		var status string
		err := s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_asset_types WHERE code = $1`, code).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && status != model.StatusActive) {
			return nil, invalid("asset type %q is not an active asset type on chain", code)
		} else if err != nil {
			return nil, fmt.Errorf("asset type %s: %w", code, err)
		}
	}
	hist, _ := json.Marshal([]ContractEvent{{At: time.Now().UTC(), By: actor, Action: "submitted"}})
	var id int64
	err := s.cfg.Pool.QueryRow(ctx, `INSERT INTO alliance_contracts
		(chaincode, version, name, purpose, asset_types, package_digest, status, submitted_by, history)
		VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8) RETURNING id`,
		d.Chaincode, d.Version, d.Name, d.Purpose, d.AssetTypes, d.PackageDigest, actor, hist).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, model.Errorf(model.CodeConflict, "%s version %s is registered already", d.Chaincode, d.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("register contract: %w", err)
	}
	return s.Contract(ctx, id)
}

const contractColumns = `id, chaincode, version, name, purpose, asset_types, package_digest, status,
	submitted_by, coalesce(reviewed_by, ''), coalesce(review_note, ''), history, created_at, updated_at`

func scanContract(row pgx.Row) (*Contract, error) {
	var c Contract
	var hist []byte
	if err := row.Scan(&c.ID, &c.Chaincode, &c.Version, &c.Name, &c.Purpose, &c.AssetTypes, &c.PackageDigest, &c.Status,
		&c.SubmittedBy, &c.ReviewedBy, &c.ReviewNote, &hist, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	return &c, json.Unmarshal(hist, &c.History)
}

// Contracts lists every registered version, by chaincode, newest first.
func (s *Service) Contracts(ctx context.Context) ([]Contract, error) {
	rows, err := s.cfg.Pool.Query(ctx, `SELECT `+contractColumns+` FROM alliance_contracts ORDER BY chaincode, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("contracts: %w", err)
	}
	defer rows.Close()
	out := []Contract{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, fmt.Errorf("contracts: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// Contract returns one registered version.
func (s *Service) Contract(ctx context.Context, id int64) (*Contract, error) {
	c, err := scanContract(s.cfg.Pool.QueryRow(ctx, `SELECT `+contractColumns+` FROM alliance_contracts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, model.Errorf(model.CodeNotFound, "contract %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("contract %d: %w", id, err)
	}
	return c, nil
}

// ReviewContract approves or rejects a submitted version. The reviewer must
// be another person than the submitter (separation of duties); a rejection
// says why.
func (s *Service) ReviewContract(ctx context.Context, actor string, id int64, approve bool, note string) (*Contract, error) {
	if utf8.RuneCountInString(note) > 1000 || (!approve && strings.TrimSpace(note) == "") {
		return nil, invalid("note: a rejection must give its reason (at most 1000 characters)")
	}
	status, action := ContractRejected, "rejected"
	if approve {
		status, action = ContractApproved, "approved"
	}
	return s.transition(ctx, actor, id, action, note, func(tx pgx.Tx, c *Contract) (string, error) {
		if c.Status != ContractSubmitted {
			return "", model.Errorf(model.CodeState, "contract %d is %s, not submitted", id, c.Status)
		}
		if c.SubmittedBy == actor {
			return "", model.Errorf(model.CodeDenied, "the submitter of contract %d cannot review it; another administrator must", id)
		}
		_, err := tx.Exec(ctx, `UPDATE alliance_contracts SET reviewed_by = $2, review_note = $3 WHERE id = $1`, id, actor, note)
		return status, err
	})
}

// Deploy moves an approved version to the test channel (stage "test") or a
// tested one to production (stage "production"), where it supersedes the
// version in production before it.
func (s *Service) Deploy(ctx context.Context, actor string, id int64, stage, note string) (*Contract, error) {
	if utf8.RuneCountInString(note) > 1000 {
		return nil, invalid("note must have at most 1000 characters")
	}
	var from, to string
	switch stage {
	case "test":
		from, to = ContractApproved, ContractTesting
	case "production":
		from, to = ContractTesting, ContractProduction
	default:
		return nil, invalid("stage %q must be test or production", stage)
	}
	return s.transition(ctx, actor, id, "deployed to "+stage, note, func(tx pgx.Tx, c *Contract) (string, error) {
		if c.Status != from {
			return "", model.Errorf(model.CodeState, "contract %d is %s; only a %s version goes to %s", id, c.Status, from, stage)
		}
		if to == ContractProduction {
			ev, _ := json.Marshal([]ContractEvent{{At: time.Now().UTC(), By: actor, Action: "superseded", Note: fmt.Sprintf("version %s went to production", c.Version)}})
			if _, err := tx.Exec(ctx, `UPDATE alliance_contracts SET status = 'superseded', updated_at = now(), history = history || $2
				WHERE chaincode = $1 AND status = 'production'`, c.Chaincode, ev); err != nil {
				return "", err
			}
		}
		return to, nil
	})
}

// AbolishContract abolishes a version (7.6.5); note says why.
func (s *Service) AbolishContract(ctx context.Context, actor string, id int64, note string) (*Contract, error) {
	if err := text("note", note, 1000); err != nil {
		return nil, err
	}
	return s.transition(ctx, actor, id, "abolished", note, func(_ pgx.Tx, c *Contract) (string, error) {
		if c.Status == ContractAbolished {
			return "", model.Errorf(model.CodeState, "contract %d is abolished already", id)
		}
		return ContractAbolished, nil
	})
}

// transition locks the contract, lets step decide its new status (and make
// its own changes), then records the status and the event.
func (s *Service) transition(ctx context.Context, actor string, id int64, action, note string, step func(pgx.Tx, *Contract) (string, error)) (*Contract, error) {
	err := pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error {
		c, err := scanContract(tx.QueryRow(ctx, `SELECT `+contractColumns+` FROM alliance_contracts WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return model.Errorf(model.CodeNotFound, "contract %d not found", id)
		}
		if err != nil {
			return err
		}
		status, err := step(tx, c)
		if err != nil {
			return err
		}
		ev, _ := json.Marshal([]ContractEvent{{At: time.Now().UTC(), By: actor, Action: action, Note: note}})
		_, err = tx.Exec(ctx, `UPDATE alliance_contracts SET status = $2, updated_at = now(), history = history || $3 WHERE id = $1`, id, status, ev)
		return err
	})
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return nil, err
		}
		return nil, fmt.Errorf("contract %d: %w", id, err)
	}
	return s.Contract(ctx, id)
}

// Component is one part of the platform and its version (7.4.2 g).
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Detail  string `json:"detail,omitempty"`
}

// Configuration returns the effective configuration, secrets masked.
func (s *Service) Configuration() json.RawMessage {
	if len(s.cfg.Configuration) == 0 {
		return json.RawMessage(`{}`)
	}
	return s.cfg.Configuration
}

// Versions returns the versions of every component: those the process
// knows, then PostgreSQL's as the server reports it.
func (s *Service) Versions(ctx context.Context) ([]Component, error) {
	out := append([]Component(nil), s.cfg.Components...)
	var v string
	if err := s.cfg.Pool.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return nil, fmt.Errorf("PostgreSQL version: %w", err)
	}
	return append(out, Component{Name: "PostgreSQL", Version: v}), nil
}
