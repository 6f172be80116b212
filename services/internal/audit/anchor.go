package audit

import (
	"context"
	"fmt"
	"time"
)

// Anchorer writes a chain head to the ledger. The ledger client implements
// it; Anchor must be idempotent for a given (seq, head), since a process that
// dies after the ledger accepted the head and before the anchor row was
// stored anchors the same head again.
type Anchorer interface {
	// Anchor records that the log's row seq has hash head and returns the
	// ID of the transaction that carried it.
	Anchor(ctx context.Context, seq uint64, head string) (txID string, err error)
}

// Anchor is one chain head written to the ledger.
type Anchor struct {
	Seq        uint64    `json:"seq"`
	Head       string    `json:"head"`
	TxID       string    `json:"txId"`
	AnchoredAt time.Time `json:"anchoredAt"`
}

// AnchorHead anchors the current head through a when it is newer than the
// latest anchor, stores the anchor and returns it; anchored is false when
// there was nothing new to anchor.
func (l *Log) AnchorHead(ctx context.Context, a Anchorer) (anc Anchor, anchored bool, err error) {
	seq, h, err := l.Head(ctx)
	if err != nil || seq == 0 {
		return Anchor{}, false, err
	}
	var last int64
	if err := l.pool.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM audit_anchors").Scan(&last); err != nil {
		return Anchor{}, false, fmt.Errorf("audit anchor: %w", err)
	}
	if uint64(last) >= seq {
		return Anchor{}, false, nil
	}
	txID, err := a.Anchor(ctx, seq, h)
	if err != nil {
		return Anchor{}, false, fmt.Errorf("audit anchor seq %d: %w", seq, err)
	}
	anc = Anchor{Seq: seq, Head: h, TxID: txID, AnchoredAt: l.now().UTC().Truncate(time.Microsecond)}
	if _, err := l.pool.Exec(ctx, `INSERT INTO audit_anchors (seq, head, tx_id, anchored_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (seq) DO NOTHING`, int64(seq), h, txID, anc.AnchoredAt); err != nil {
		return Anchor{}, false, fmt.Errorf("audit anchor seq %d (tx %s): store: %w", seq, txID, err)
	}
	return anc, true, nil
}

// RunAnchoring anchors the head every interval until ctx ends. Failures are
// logged and retried at the next tick; the gap they leave is the window in
// which rows deleted from the end of the log go unnoticed, so the interval
// is a security parameter (docs/security.md).
func (l *Log) RunAnchoring(ctx context.Context, a Anchorer, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, _, err := l.AnchorHead(ctx, a); err != nil && ctx.Err() == nil {
			l.logger.Error("audit anchoring failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Anchors lists stored anchors in sequence order; limit 0 lists all, a
// positive limit the most recent ones.
func (l *Log) Anchors(ctx context.Context, limit int) ([]Anchor, error) {
	q := "SELECT seq, head, tx_id, anchored_at FROM audit_anchors ORDER BY seq"
	args := []any{}
	if limit > 0 {
		q = "SELECT * FROM (SELECT seq, head, tx_id, anchored_at FROM audit_anchors ORDER BY seq DESC LIMIT $1) a ORDER BY seq"
		args = append(args, limit)
	}
	rows, err := l.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit anchors: %w", err)
	}
	defer rows.Close()
	out := []Anchor{}
	for rows.Next() {
		var a Anchor
		var seq int64
		if err := rows.Scan(&seq, &a.Head, &a.TxID, &a.AnchoredAt); err != nil {
			return nil, fmt.Errorf("audit anchors: %w", err)
		}
		a.Seq = uint64(seq)
		out = append(out, a)
	}
	return out, rows.Err()
}
