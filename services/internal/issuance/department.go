package issuance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// Errors callers branch on, besides ErrInvalid and ErrNotFound.
var (
	// ErrDenied: the caller may not issue this document (another
	// department's kind, or a wrong key password).
	ErrDenied = errors.New("denied")
	// ErrState: the process is not in a state for the request (its step is
	// decided otherwise, the licence is not issued yet, a step is pending).
	ErrState = errors.New("wrong state")
)

// KeyUnlocker unlocks a department's key in custody; *keys.Service
// implements it.
type KeyUnlocker interface {
	Unlock(ctx context.Context, owner keys.Owner, password string) (*keys.SoftKey, error)
}

// DepartmentIssue is a department system's request to issue its result for
// a process step (the REST operation issueDocument).
type DepartmentIssue struct {
	// Department is the caller's department code (market, seal, …).
	Department string
	Process    string
	Kind       Kind
	// Password unlocks the department's key in custody.
	Password string
	// Licence is the business licence's content (KindLicence only); the
	// market department assigns the USCC.
	Licence *Licence
	// Results are the printed results of a notice (registration numbers,
	// appointment times, …), after the company's code and name.
	Results []Field
}

// IssueForDepartment renders, signs with the department's key and issues the
// document of req into the applicant's locker, in one transaction. The
// department must own the kind and hold a pending or approved step of the
// process; a notice needs the process's licence (for the USCC and name).
func (s *Service) IssueForDepartment(ctx context.Context, req DepartmentIssue) (*Issued, error) {
	if s.keys == nil {
		return nil, errors.New("issuance: no key service configured")
	}
	if !req.Kind.Valid() {
		return nil, fmt.Errorf("%w: unknown document kind %q", ErrInvalid, req.Kind)
	}
	if req.Kind.Department() != req.Department {
		return nil, fmt.Errorf("%w: department %q does not issue %s", ErrDenied, req.Department, req.Kind)
	}
	if (req.Kind == KindLicence) != (req.Licence != nil) {
		return nil, fmt.Errorf("%w: a licence, and only a licence, carries licence content", ErrInvalid)
	}
	// One round trip for the department, the process, the department's
	// step and, for a notice, the process's licence.
	var member, deptName, owner, stepStatus string
	var uscc, company *string
	err := s.pool.QueryRow(ctx, `
		SELECT r.member, d.name, p.applicant, coalesce(st.status, ''), lic.uscc, lic.company
		FROM registry_departments r JOIN identity_departments d ON d.code = r.code
		JOIN ledger_processes p ON p.id = $2
		LEFT JOIN ledger_steps st ON st.process = p.id AND st.department = r.member
		LEFT JOIN issuance_documents lic ON lic.process = p.id AND lic.kind = $3
		WHERE r.code = $1
		ORDER BY st.status = 'pending' DESC LIMIT 1`, req.Department, req.Process, string(KindLicence)).
		Scan(&member, &deptName, &owner, &stepStatus, &uscc, &company)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: process %s (or department %s)", ErrNotFound, req.Process, req.Department)
	}
	if err != nil {
		return nil, fmt.Errorf("issue %s for %s: %w", req.Kind, req.Process, err)
	}
	if stepStatus != model.StepPending && stepStatus != model.StepApproved {
		return nil, fmt.Errorf("%w: department %s has no pending or approved step in process %s", ErrState, req.Department, req.Process)
	}
	now := time.Now().UTC()
	var d Document
	if req.Kind == KindLicence {
		l := *req.Licence
		l.IssuerName = deptName
		d = LicenceDocument("", member, l, now)
	} else {
		if uscc == nil || company == nil {
			return nil, fmt.Errorf("%w: process %s has no business licence yet", ErrState, req.Process)
		}
		d = NoticeDocument(req.Kind, "", member, deptName, *uscc, *company, req.Results, now)
	}
	key, err := s.keys.Unlock(ctx, keys.Owner{Kind: keys.KindDepartment, ID: member}, req.Password)
	switch {
	case errors.Is(err, keys.ErrBadPassword), errors.Is(err, keys.ErrLocked):
		return nil, fmt.Errorf("%w: key of %s: %w", ErrDenied, member, err)
	case errors.Is(err, keys.ErrNotFound):
		return nil, fmt.Errorf("%w: department %s has no key in custody", ErrState, member)
	case err != nil:
		return nil, fmt.Errorf("unlock key of %s: %w", member, err)
	}
	defer key.Destroy()
	in := DocumentInput{Document: d, Owner: owner, Process: req.Process, Signer: key, Identity: member}
	if d, err = s.prepare(in); err != nil {
		return nil, err
	}
	if prev, err := s.document(ctx, s.pool, d.Asset); err != nil || prev != nil {
		return prev, err
	}
	// Render and sign (tens of milliseconds of CPU) before taking a slot
	// and a connection.
	signed, err := s.renderer.Sign(d, key)
	if err != nil {
		return nil, fmt.Errorf("issue %s for %s: %w", d.Kind, req.Process, err)
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var out *Issued
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if out, err = s.document(ctx, tx, d.Asset); err != nil || out != nil {
			return err
		}
		out, err = s.record(ctx, tx, in, signed)
		return err
	})
	return out, err
}

// Bundle enqueues the unified issuance of a process once every step is
// decided: from the chain's projection of its steps, an approved step
// contributes its decision's outputs (or is skipped when it issued nothing),
// a rejected one is listed as rejected, a skipped one as skipped. It is
// refused (ErrState) while a supervisor's reopen of one of the process's
// steps is under way, and reads the projection only after that check, under
// the lock that keeps a reopen from being enqueued meanwhile: see
// supervision.ReopenUnderWay.
func (s *Service) Bundle(ctx context.Context, process string) ([]model.BundleItem, error) {
	var items []model.BundleItem
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := reopenSettled(ctx, tx, process); err != nil {
			return err
		}
		var err error
		if items, err = bundleItems(ctx, tx, process); err != nil {
			return err
		}
		_, err = s.issueBundle(ctx, tx, process, items)
		return err
	})
	return items, err
}

// bundleItems lists the bundle of a process from the projection.
func bundleItems(ctx context.Context, tx pgx.Tx, process string) ([]model.BundleItem, error) {
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM ledger_processes WHERE id = $1`, process).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: process %s", ErrNotFound, process)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle of %s: %w", process, err)
	}
	rows, err := tx.Query(ctx, `SELECT record FROM ledger_steps WHERE process = $1 ORDER BY step_key`, process)
	if err != nil {
		return nil, fmt.Errorf("bundle of %s: %w", process, err)
	}
	steps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Step, error) {
		var raw []byte
		var st model.Step
		if err := r.Scan(&raw); err != nil {
			return st, err
		}
		return st, json.Unmarshal(raw, &st)
	})
	if err != nil {
		return nil, fmt.Errorf("bundle of %s: %w", process, err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%w: process %s", ErrNotFound, process)
	}
	var items []model.BundleItem
	for _, st := range steps {
		switch st.Status {
		case model.StepApproved:
			if len(st.Outputs) == 0 {
				items = append(items, model.BundleItem{Step: st.Key, Status: model.BundleSkipped})
			}
			for _, a := range st.Outputs {
				items = append(items, model.BundleItem{Step: st.Key, Asset: a, Status: model.BundleIssued})
			}
		case model.StepRejected:
			items = append(items, model.BundleItem{Step: st.Key, Status: model.BundleRejected})
		case model.StepPending:
			if status != model.ProcessRejected {
				return nil, fmt.Errorf("%w: step %s of process %s is not decided", ErrState, st.Key, process)
			}
			// A rejected process ends its open steps: they are skipped.
			items = append(items, model.BundleItem{Step: st.Key, Status: model.BundleSkipped})
		default:
			items = append(items, model.BundleItem{Step: st.Key, Status: model.BundleSkipped})
		}
	}
	return items, nil
}

// Member returns the chain member (MSP ID) of a department code, from the
// registry's department table.
func (s *Service) Member(ctx context.Context, department string) (string, error) {
	var member string
	err := s.pool.QueryRow(ctx, `SELECT member FROM registry_departments WHERE code = $1`, department).Scan(&member)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: department %s", ErrNotFound, department)
	}
	if err != nil {
		return "", fmt.Errorf("member of %s: %w", department, err)
	}
	return member, nil
}
