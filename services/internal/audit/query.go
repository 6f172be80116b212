package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Filter selects audit records. Zero fields do not filter.
type Filter struct {
	ActorID   string
	Action    string // exact action, e.g. "identity.login"
	Result    string
	RequestID string
	From, To  time.Time // From inclusive, To exclusive
	// Before pages backwards: only rows with a smaller sequence number.
	Before uint64
	Limit  int // 1..1000, default 100
}

// ErrBadFilter reports a filter that cannot be used.
var ErrBadFilter = errors.New("audit: bad filter")

// Query returns the records matching f, newest first.
func (l *Log) Query(ctx context.Context, f Filter) ([]Record, error) {
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Limit < 0 || f.Limit > 1000 {
		return nil, fmt.Errorf("%w: limit must be 1 to 1000", ErrBadFilter)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, fmt.Errorf("%w: from must be before to", ErrBadFilter)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.Result != "" {
		add("result = $%d", f.Result)
	}
	if f.RequestID != "" {
		add("request_id = $%d", f.RequestID)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To)
	}
	if f.Before > 0 {
		add("seq < $%d", int64(f.Before))
	}
	q := `SELECT seq, at, actor_kind, actor_id, actor_name, action, resource, result, status, source,
		request_id, detail, prev_hash, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	rows, err := l.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit query: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		var seq int64
		if err := rows.Scan(&seq, &r.Time, &r.ActorKind, &r.ActorID, &r.ActorName, &r.Action, &r.Resource,
			&r.Result, &r.Status, &r.Source, &r.RequestID, &r.Detail, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit query: %w", err)
		}
		r.Seq = uint64(seq)
		r.Time = r.Time.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
