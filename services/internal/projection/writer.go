package projection

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// cols are a row's indexed columns by name.
type cols map[string]any

// writer writes the rows of one event in the event's transaction.
type writer struct {
	ctx context.Context
	tx  pgx.Tx
	ev  chain.Event
}

// upsert inserts or replaces the row of table keyed by conflict with the
// columns c, the record JSON and the event's block and transaction.
func (w writer) upsert(table, conflict string, record []byte, c cols) error {
	names := make([]string, 0, len(c)+3)
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names) // one statement text per table, for pgx's statement cache
	vals := make([]any, 0, len(names)+3)
	for _, name := range names {
		vals = append(vals, c[name])
	}
	names = append(names, "record", "block_number", "tx_id")
	vals = append(vals, json.RawMessage(record), int64(w.ev.Block), w.ev.TxID)
	marks := make([]string, len(names))
	sets := make([]string, 0, len(names))
	for i, name := range names {
		marks[i] = fmt.Sprintf("$%d", i+1)
		if !slices.Contains(strings.Split(conflict, ", "), name) {
			sets = append(sets, name+" = EXCLUDED."+name)
		}
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s, projected_at = now()",
		table, strings.Join(names, ", "), strings.Join(marks, ", "), conflict, strings.Join(sets, ", "))
	_, err := w.tx.Exec(w.ctx, sql, vals...)
	return err
}

// view writes a process, all its steps, interventions and bundle.
func (w writer) view(v *model.ProcessView) error {
	p := &v.Process
	created, err := when("createdAt", p.CreatedAt)
	if err != nil {
		return err
	}
	if err := w.upsert("ledger_processes", "id", mustJSON(p), cols{"id": p.ID, "item": p.Item, "applicant": p.Applicant,
		"sponsor": p.Sponsor, "status": p.Status, "created_at": created}); err != nil {
		return err
	}
	for i := range v.Steps {
		s := &v.Steps[i]
		if s.Key == "" {
			return bad("process %s has a step without a key", p.ID)
		}
		var deadline any
		if s.Deadline != "" {
			t, err := when("deadline", s.Deadline)
			if err != nil {
				return err
			}
			deadline = t
		}
		if err := w.upsert("ledger_steps", "process, step_key", mustJSON(s), cols{"process": p.ID, "step_key": s.Key,
			"department": s.Department, "status": s.Status, "ready": s.Ready, "overdue": s.Overdue, "deadline": deadline}); err != nil {
			return err
		}
	}
	for i := range v.Interventions {
		iv := &v.Interventions[i]
		at, err := when("at", iv.At)
		if err != nil {
			return err
		}
		if err := w.upsert("ledger_interventions", "id", mustJSON(iv), cols{"id": iv.ID, "process": iv.Process, "step_key": iv.Step,
			"action": iv.Action, "at": at}); err != nil {
			return err
		}
	}
	if b := v.Bundle; b != nil {
		at, err := when("at", b.At)
		if err != nil {
			return err
		}
		if err := w.upsert("ledger_bundles", "process", mustJSON(b), cols{"process": b.Process, "owner": b.Owner, "at": at}); err != nil {
			return err
		}
	}
	return nil
}

// closeRequest applies to an access request what the transaction of a grant
// answering it did on chain: the request is approved with the grant, at the
// grant's time and transaction.
func (w writer) closeRequest(g *model.Grant) error {
	_, err := w.tx.Exec(w.ctx, `
		UPDATE ledger_access_requests
		SET status = $2, grant_id = $3,
		    record = (record - 'note') || jsonb_build_object('status', $2::text, 'grant', $3::text, 'updatedAt', $4::text, 'updatedTx', $5::text),
		    block_number = $6, tx_id = $7, projected_at = now()
		WHERE id = $1`,
		g.Request, model.RequestApproved, g.ID, g.CreatedAt, g.CreatedTx, int64(w.ev.Block), w.ev.TxID)
	return err
}

// mustJSON encodes a decoded model record, which cannot fail.
func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}
