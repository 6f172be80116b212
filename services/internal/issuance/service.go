package issuance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// ErrNotFound is wrapped when a process has no issued documents.
var ErrNotFound = errors.New("not found")

// Locker puts content into a subject's locker in the caller's transaction;
// *locker.Service implements it.
type Locker interface {
	Issue(ctx context.Context, tx pgx.Tx, in locker.IssueInput) (*locker.Issued, error)
}

// Enqueuer records a chain write in the caller's transaction;
// *outbox.Outbox implements it.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, w outbox.Write) (int64, error)
}

// Config is what the service works with.
type Config struct {
	// Pool is the platform database (migrated).
	Pool *pgxpool.Pool
	// Renderer renders the documents; a process that only bundles and
	// verifies (the worker) needs none.
	Renderer *Renderer
	// Locker issues the rendered documents into lockers.
	Locker Locker
	// Outbox carries approval.IssueBundle.
	Outbox Enqueuer
	// Keys unlocks department keys for IssueForDepartment.
	Keys KeyUnlocker
	// Clerk is the chain identity ("MSPID/name") with the clerk role that
	// submits bundles (the unified issuance window).
	Clerk string
}

// Service is unified issuance: documents into lockers, bundles on chain, and
// verification.
type Service struct {
	pool     *pgxpool.Pool
	renderer *Renderer
	locker   Locker
	outbox   Enqueuer
	clerk    string
	keys     KeyUnlocker
	// slots bounds the issues in flight: each holds a transaction's
	// connection while the locker takes a second one from the pool (to wrap
	// the data key), so more than half the pool at once could deadlock it.
	slots chan struct{}
}

// New returns the service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil {
		return nil, errors.New("issuance: a pool is required")
	}
	n := max(1, int(cfg.Pool.Config().MaxConns)/2)
	return &Service{pool: cfg.Pool, renderer: cfg.Renderer, locker: cfg.Locker, outbox: cfg.Outbox, clerk: cfg.Clerk,
		keys: cfg.Keys, slots: make(chan struct{}, n)}, nil
}

// DocumentInput is one document to issue.
type DocumentInput struct {
	// Document is the content; its Asset is set by IssueDocument from Owner,
	// the issuer and Process (model.AssetID), so that the QR payload printed
	// on it names the asset it becomes.
	Document Document
	// Owner is the subject (the company) whose locker receives it.
	Owner string
	// Process is the process instance it results from: the asset's business
	// key. The issue goes on the asset's outbox lane ("asset/" + ID), so
	// that the step decision naming the asset follows it (see
	// acceptance.Decide) while the other departments' documents go in
	// parallel; the bundle needs no lane to follow it, since it is only
	// enqueued once every decision is on chain, and the chain accepts a
	// decision only when its output assets exist.
	Process string
	// Signer signs as Document.Issuer (the department's key unlocked from
	// custody, or an HSM); Identity is the department's chain identity that
	// submits the issue.
	Signer   Signer
	Identity string
}

// Issued is an issued document.
type Issued struct {
	Asset     string  `json:"asset"`
	Kind      Kind    `json:"kind"`
	PDFDigest string  `json:"pdfDigest"`
	Payload   string  `json:"payload"`
	OutboxKey string  `json:"outboxKey"`
	Existing  bool    `json:"existing"`
	Signed    *Signed `json:"-"`
}

// IssueDocument renders and signs in.Document and issues it into the owner's
// locker within tx, the caller's business transaction (a step decision, say):
// the asset's chain write is enqueued and exists once tx commits. Issuing the
// same document again returns the first issue.
func (s *Service) IssueDocument(ctx context.Context, tx pgx.Tx, in DocumentInput) (*Issued, error) {
	d, err := s.prepare(in)
	if err != nil {
		return nil, err
	}
	if prev, err := s.document(ctx, tx, d.Asset); err != nil || prev != nil {
		return prev, err
	}
	signed, err := s.renderer.Sign(d, in.Signer)
	if err != nil {
		return nil, fmt.Errorf("issue %s for %s: %w", d.Kind, in.Process, err)
	}
	return s.record(ctx, tx, in, signed)
}

// prepare checks in and returns its document with the asset ID set.
func (s *Service) prepare(in DocumentInput) (Document, error) {
	if s.locker == nil || s.renderer == nil {
		return Document{}, errors.New("issuance: no locker service or renderer configured")
	}
	d := in.Document
	if in.Owner == "" || in.Process == "" || in.Signer == nil || in.Identity == "" {
		return Document{}, fmt.Errorf("%w: owner, process, signer and identity are required", ErrInvalid)
	}
	d.Asset = model.AssetID(string(d.Kind), in.Owner, d.Issuer, in.Process)
	d.IssuedAt = d.IssuedAt.UTC().Truncate(time.Second)
	return d, d.Validate()
}

// record issues a signed document into the owner's locker and records it,
// within tx.
func (s *Service) record(ctx context.Context, tx pgx.Tx, in DocumentInput, signed Signed) (*Issued, error) {
	d := signed.Document
	res, err := s.locker.Issue(ctx, tx, locker.IssueInput{
		Type: string(d.Kind), Owner: in.Owner, Issuer: d.Issuer, Channel: model.ChannelDepartment,
		BusinessKey: in.Process, Content: signed.PDF, Encryption: model.EncryptAsymmetric,
		Signer: in.Signer, Identity: in.Identity, Lane: AssetLane(d.Asset),
	})
	if err != nil {
		if errors.Is(err, locker.ErrInvalid) || errors.Is(err, locker.ErrNotFound) {
			return nil, fmt.Errorf("issue %s for %s: %w: %w", d.Kind, in.Process, ErrInvalid, err)
		}
		return nil, fmt.Errorf("issue %s for %s: %w", d.Kind, in.Process, err)
	}
	if res.AssetID != d.Asset {
		return nil, fmt.Errorf("issue %s: locker issued asset %s, expected %s", d.Kind, res.AssetID, d.Asset)
	}
	payload, err := signed.Payload.Encode()
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO issuance_documents (asset_id, kind, owner, process, issuer, uscc, company, pdf_digest,
		                                pdf_signature, fields_digest, payload, issued_at, outbox_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		d.Asset, string(d.Kind), in.Owner, in.Process, d.Issuer, d.USCC, d.CompanyName, signed.Digest,
		base64.StdEncoding.EncodeToString(signed.Signature), signed.Payload.Content, payload, d.IssuedAt,
		res.OutboxKey); err != nil {
		return nil, fmt.Errorf("record document %s: %w", d.Asset, err)
	}
	return &Issued{Asset: d.Asset, Kind: d.Kind, PDFDigest: signed.Digest, Payload: payload,
		OutboxKey: res.OutboxKey, Signed: &signed}, nil
}

func (s *Service) document(ctx context.Context, tx querier, asset string) (*Issued, error) {
	out := &Issued{Asset: asset, Existing: true}
	err := tx.QueryRow(ctx, `SELECT kind, pdf_digest, payload, outbox_key FROM issuance_documents WHERE asset_id = $1`, asset).
		Scan(&out.Kind, &out.PDFDigest, &out.Payload, &out.OutboxKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read document %s: %w", asset, err)
	}
	return out, nil
}

// Documents lists the documents issued for a process, in issue order.
func (s *Service) Documents(ctx context.Context, process string) ([]Issued, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT asset_id, kind, pdf_digest, payload, outbox_key FROM issuance_documents
		WHERE process = $1 ORDER BY created_at, asset_id`, process)
	if err != nil {
		return nil, fmt.Errorf("documents of %s: %w", process, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Issued, error) {
		var d Issued
		return d, r.Scan(&d.Asset, &d.Kind, &d.PDFDigest, &d.Payload, &d.OutboxKey)
	})
}

// AssetLane is the outbox lane of an asset's writes: its issue, then what
// refers to it (the step decision naming it as output, its lifecycle).
func AssetLane(asset string) string { return "asset/" + asset }

// IssueBundle records the unified issuance of a process (7.6.7) within tx:
// approval.IssueBundle is enqueued on the process's lane, submitted by the
// clerk identity. items accounts for every
// step (issued with its asset, rejected or skipped); the chaincode checks
// them against the decided steps. Enqueueing the same bundle again is a
// no-op; another bundle for the process is a conflict at the outbox. Like
// Bundle, it is refused while a reopen of one of the process's steps is under
// way; items the caller read before tx took the lock may still be stale.
func (s *Service) IssueBundle(ctx context.Context, tx pgx.Tx, process string, items []model.BundleItem) (int64, error) {
	if err := reopenSettled(ctx, tx, process); err != nil {
		return 0, err
	}
	return s.issueBundle(ctx, tx, process, items)
}

// errReopening is a bundle refused because a supervisor's reopen of one of
// the process's steps is under way; BundleReady passes over such a process
// until the reopen has settled.
var errReopening = errors.New("a step of the process is being reopened")

// reopenSettled takes the process's bundle lock for the rest of tx and
// refuses while a reopen of one of its steps is under way.
func reopenSettled(ctx context.Context, tx pgx.Tx, process string) error {
	busy, err := supervision.ReopenUnderWay(ctx, tx, process)
	if err != nil {
		return fmt.Errorf("bundle of %s: %w", process, err)
	}
	if busy {
		return fmt.Errorf("%w: bundle of %s: %w", ErrState, process, errReopening)
	}
	return nil
}

// issueBundle is IssueBundle once the lock is held.
func (s *Service) issueBundle(ctx context.Context, tx pgx.Tx, process string, items []model.BundleItem) (int64, error) {
	if s.outbox == nil || s.clerk == "" {
		return 0, errors.New("issuance: no outbox or clerk identity configured")
	}
	req := model.BundleIssue{Process: process, Items: items}
	if err := req.Validate(); err != nil {
		return 0, fmt.Errorf("%w: bundle of %s: %v", ErrInvalid, process, err)
	}
	canonical, err := model.Canonical(&req)
	if err != nil {
		return 0, err
	}
	key := "issuance/bundle/" + process
	id, err := s.outbox.Enqueue(ctx, tx, outbox.Write{
		Key: key, Identity: s.clerk, Chaincode: model.ChaincodeApproval, Function: "IssueBundle",
		Args: []string{string(canonical)}, Lane: process,
	})
	if err != nil {
		return 0, fmt.Errorf("bundle of %s: %w", process, err)
	}
	raw, _ := json.Marshal(items)
	if _, err := tx.Exec(ctx, `
		INSERT INTO issuance_bundles (process, items, outbox_id, outbox_key) VALUES ($1, $2, $3, $4)
		ON CONFLICT (process) DO NOTHING`, process, raw, id, key); err != nil {
		return 0, fmt.Errorf("record bundle of %s: %w", process, err)
	}
	return id, nil
}
