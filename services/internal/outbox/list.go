package outbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Statuses are the states of a write, in the order a write goes through them.
var Statuses = []Status{StatusPending, StatusSubmitting, StatusDone, StatusFailed}

// ParseStatus returns the status named s.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("outbox: unknown status %q; the states are %s", s, strings.Join(names, ", "))
}

// List returns the latest limit writes in status (all of them when limit is
// not positive), in the order they were enqueued — the order in which failed
// writes should be retried, since a write waits for the earlier writes of its
// lane and fails when one of them has failed.
func (o *Outbox) List(ctx context.Context, status Status, limit int) ([]Entry, error) {
	if _, err := ParseStatus(string(status)); err != nil {
		return nil, err
	}
	var n *int // LIMIT NULL is no limit
	if limit > 0 {
		n = &limit
	}
	rows, err := o.pool.Query(ctx, `SELECT `+entryColumns+` FROM chain_outbox WHERE id IN (
			SELECT id FROM chain_outbox WHERE status = $1 ORDER BY id DESC LIMIT $2)
		ORDER BY id`, string(status), n)
	if err != nil {
		return nil, fmt.Errorf("outbox: list %s: %w", status, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		e, err := scanEntry(row)
		if err != nil {
			return Entry{}, err
		}
		return *e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: list %s: %w", status, err)
	}
	return entries, nil
}
