package supervision

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// A rejected process ends in one of two ways, and never both: a supervisor
// reopens its rejected step (Intervene) or the unified issuance window closes
// it with its bundle (issuance.Bundle). Each is queued in the outbox before
// the chain has it, so the projection alone cannot tell one from the other's
// pending work: a bundle computed from the rejected process while a reopen is
// on its way is refused on chain once the reopen commits, and the window
// never tries again. The two therefore meet in PostgreSQL, under one
// transaction-scoped lock per process:
//
//   - Intervene(reopen) takes the lock, then refuses if the process has a
//     bundle enqueued (issuance_bundles) or on chain (ledger_bundles);
//   - issuance.Bundle takes it through ReopenUnderWay, then refuses while a
//     reopen is under way, and reads the process and its steps after that.
//
// Whichever transaction takes the lock second sees the first's rows once it
// has committed (READ COMMITTED reads each statement afresh), so a reopen and
// a bundle can never both be enqueued against the same rejected state, and a
// bundle enqueued after a reopen settled is computed from a projection that
// shows it. Nothing here depends on how soon the outbox or the projection
// runs: until they have, the second action is refused, not raced.

// lockProcess takes, until tx ends, the lock that orders a process's bundle
// and the reopening of its steps. Its two-key form keeps it apart from the
// single-key advisory locks elsewhere (the audit log, migrations).
func lockProcess(ctx context.Context, tx pgx.Tx, process string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock('supervision_interventions'::regclass::oid::int, hashtext($1))`, process); err != nil {
		return fmt.Errorf("lock process %s: %w", process, err)
	}
	return nil
}

// ReopenUnderWay takes, until tx ends, the lock that orders a process's
// bundle and the reopening of its steps, and reports whether a reopen
// requested through Intervene is under way: its chain write not yet finished,
// or committed but its intervention not yet in the projection (which writes
// it in the same transaction as the process and steps it changed). A reopen
// whose write failed is not under way: it changed nothing. The result is the
// chain's response, the intervention, whose ID is looked up rather than the
// write's transaction: a reopen submitted twice is answered the second time
// with the first intervention and no event of its own.
//
// issuance.Bundle calls it before it reads the process for its bundle.
func ReopenUnderWay(ctx context.Context, tx pgx.Tx, process string) (bool, error) {
	if err := lockProcess(ctx, tx, process); err != nil {
		return false, err
	}
	var busy bool
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM supervision_interventions i JOIN chain_outbox o ON o.key = i.outbox_key
			WHERE i.process = $1 AND i.action = $2
			  AND (o.status IN ('pending', 'submitting')
			       OR (o.status = 'done' AND NOT EXISTS (
			           SELECT 1 FROM ledger_interventions l
			           WHERE l.id = convert_from(o.result, 'UTF8')::jsonb ->> 'id'))))`,
		process, model.InterveneReopen).Scan(&busy)
	if err != nil {
		return false, fmt.Errorf("reopens of %s under way: %w", process, err)
	}
	return busy, nil
}
