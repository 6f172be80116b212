package messages

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// batch bounds one read of a stream.
const batch = 100

// Stream delivers to's messages to emit until ctx ends or emit fails: first
// what the connection missed, then each new message as it commits. A client
// that reconnects passes the ID of the last message it received (SSE
// Last-Event-ID) and gets every later one; a client connecting afresh
// (lastID 0) gets every message never delivered to any connection — the
// offline store. Each message emitted is marked delivered. keepalive, when
// positive, calls ping after that long without a message (SSE comments keep
// proxies from closing an idle stream). The end of ctx is the normal end of
// a stream: it returns nil.
func (s *Store) Stream(ctx context.Context, hub *Hub, to Address, lastID int64, keepalive time.Duration,
	emit func(Message) error, ping func() error) error {
	err := s.stream(ctx, hub, to, lastID, keepalive, emit, ping)
	if ctx.Err() != nil && !errors.Is(err, ErrInvalid) {
		return nil
	}
	return err
}

func (s *Store) stream(ctx context.Context, hub *Hub, to Address, lastID int64, keepalive time.Duration,
	emit func(Message) error, ping func() error) error {
	if err := to.validate("recipient", false); err != nil {
		return err
	}
	if lastID < 0 {
		return fmt.Errorf("%w: Last-Event-ID must be a message ID", ErrInvalid)
	}
	wake, cancel := hub.Subscribe(to)
	defer cancel()

	// floor: nothing at or below it is sent again, except a message that
	// committed late (a lower ID committing after a higher one was sent) and
	// was delivered nowhere.
	cursor := lastID
	if lastID == 0 {
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM messages
			WHERE recipient_kind = $1 AND recipient_id = $2`, to.Kind, to.ID).Scan(&cursor); err != nil {
			return fmt.Errorf("stream %s: %w", to, err)
		}
	}
	floor := cursor
	sent := map[int64]bool{}
	send := func(ms []Message) error {
		ids := make([]int64, 0, len(ms))
		for _, m := range ms {
			if sent[m.ID] {
				continue
			}
			if err := emit(m); err != nil {
				return err
			}
			sent[m.ID] = true
			ids = append(ids, m.ID)
			cursor = max(cursor, m.ID)
		}
		return s.MarkDelivered(context.WithoutCancel(ctx), to, ids)
	}
	if lastID == 0 {
		for {
			ms, err := s.Undelivered(ctx, to, batch)
			if err != nil {
				return err
			}
			fresh := ms[:0]
			for _, m := range ms {
				if !sent[m.ID] && m.ID <= floor {
					fresh = append(fresh, m)
				}
			}
			if len(fresh) == 0 {
				break
			}
			if err := send(fresh); err != nil {
				return err
			}
		}
	}
	var tick <-chan time.Time
	if keepalive > 0 {
		t := time.NewTicker(keepalive)
		defer t.Stop()
		tick = t.C
	}
	for {
		for {
			ms, err := collect(s.pool.Query(ctx, `SELECT `+columns+` FROM messages
				WHERE recipient_kind = $1 AND recipient_id = $2
				AND (id > $3 OR (id > $4 AND delivered_at IS NULL)) ORDER BY id LIMIT $5`,
				to.Kind, to.ID, cursor, floor, batch))
			if err != nil {
				return fmt.Errorf("stream %s: %w", to, err)
			}
			before := cursor
			if err := send(ms); err != nil {
				return err
			}
			if len(ms) < batch || cursor == before {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick:
			if ping != nil {
				if err := ping(); err != nil {
					return err
				}
			}
		}
	}
}
