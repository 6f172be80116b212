package supervision

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// Intervention is an intervention requested through supervision; the chain
// records it (ledger_interventions once projected) when its outbox write
// commits.
type Intervention struct {
	ID          int64                     `json:"id"`
	Request     model.InterventionRequest `json:"request"`
	RequestedBy string                    `json:"requestedBy"`
	OutboxKey   string                    `json:"outboxKey"`
	RequestedAt time.Time                 `json:"requestedAt"`
}

// Intervene validates req against the model and the projection (the process
// and step must exist, a reassignment must go to another department, only
// the rejected step of a rejected process can be reopened, and not once its
// bundle is enqueued: see reopen.go) and enqueues
// approval.Intervene as the supervisor. by is the requesting user, kept
// beside the request for the audit.
func (s *Service) Intervene(ctx context.Context, by string, req model.InterventionRequest) (*Intervention, error) {
	if s.cfg.Supervisor == "" {
		return nil, fmt.Errorf("intervene: no supervisor identity configured")
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if by == "" {
		return nil, fmt.Errorf("%w: intervene: no requesting user", ErrInvalid)
	}
	arg, err := model.Canonical(&req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := &Intervention{Request: req, RequestedBy: by}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		reopen := req.Action == model.InterveneReopen
		if reopen {
			// Before reading whether a bundle is enqueued: see reopen.go.
			if err := lockProcess(ctx, tx, req.Process); err != nil {
				return err
			}
		}
		var dept, stepStatus, status string
		var closed, bundling bool
		err := tx.QueryRow(ctx, `SELECT st.department, st.status, p.status,
				EXISTS (SELECT 1 FROM ledger_bundles b WHERE b.process = p.id),
				EXISTS (SELECT 1 FROM issuance_bundles b WHERE b.process = p.id)
			FROM ledger_steps st JOIN ledger_processes p ON p.id = st.process
			WHERE st.process = $1 AND st.step_key = $2`, req.Process, req.Step).Scan(&dept, &stepStatus, &status, &closed, &bundling)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("step %s of process %s: %w", req.Step, req.Process, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if req.Action == model.InterveneReassign && req.NewDepartment == dept {
			return fmt.Errorf("%w: step %s is already with %s", ErrInvalid, req.Step, dept)
		}
		if (req.Action == model.InterveneExtend || req.Action == model.InterveneReassign) && status != model.ProcessRunning {
			return fmt.Errorf("%w: process %s is %s; only a running process can be extended or reassigned", ErrInvalid, req.Process, status)
		}
		// A rejected process stays rejected after its bundle (7.6.7); the
		// bundle closes it for good, as on chain — from the moment it is
		// enqueued, since a reopen committed first would leave it refused
		// on chain and the process without one (reopen.go).
		switch {
		case reopen && closed:
			return fmt.Errorf("%w: process %s is closed by its bundle; no step of it can be reopened", ErrInvalid, req.Process)
		case reopen && bundling:
			return fmt.Errorf("%w: the bundle of process %s is being issued, which closes it; no step of it can be reopened", ErrInvalid, req.Process)
		case reopen && (stepStatus != model.StepRejected || status != model.ProcessRejected):
			// The chain would refuse it too, but only after retrying it
			// for a while, during which it would hold the bundle back.
			return fmt.Errorf("%w: step %s is %s and process %s is %s; only the rejected step of a rejected process can be reopened",
				ErrInvalid, req.Step, stepStatus, req.Process, status)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO supervision_interventions
			(process, step_key, action, reason, extend_seconds, new_department, requested_by, outbox_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '') RETURNING id, requested_at`,
			req.Process, req.Step, req.Action, req.Reason, req.ExtendSeconds, req.NewDepartment, by).Scan(&out.ID, &out.RequestedAt); err != nil {
			return err
		}
		out.OutboxKey = "supervision/intervention/" + strconv.FormatInt(out.ID, 10)
		if _, err := tx.Exec(ctx, `UPDATE supervision_interventions SET outbox_key = $2 WHERE id = $1`, out.ID, out.OutboxKey); err != nil {
			return err
		}
		_, err = s.ob.Enqueue(ctx, tx, outbox.Write{
			Key: out.OutboxKey, Identity: s.cfg.Supervisor, Chaincode: model.ChaincodeApproval,
			Function: "Intervene", Args: []string{string(arg)},
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("intervene in %s/%s: %w", req.Process, req.Step, err)
	}
	return out, nil
}
