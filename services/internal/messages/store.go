package messages

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the PostgreSQL notification channel of new messages; the
// payload is the recipient's address.
const Channel = "kaiban_messages"

// Send stores m in tx, the caller's transaction, and notifies the
// recipient's live connections when tx commits. It returns the message's ID,
// or, for a DedupKey already used, the ID of the message stored under it.
func Send(ctx context.Context, tx pgx.Tx, m Message) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	var dedup *string
	if m.DedupKey != "" {
		dedup = &m.DedupKey
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO messages (sender_kind, sender_id, recipient_kind, recipient_id, topic, title, body, ref, dedup_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
		RETURNING id`,
		m.From.Kind, m.From.ID, m.To.Kind, m.To.ID, m.Topic, m.Title, m.Body, m.Ref, dedup).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id FROM messages WHERE dedup_key = $1`, m.DedupKey).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("send message %s: existing: %w", m.DedupKey, err)
		}
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("send message to %s: %w", m.To, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, m.To.String()); err != nil {
		return 0, fmt.Errorf("send message to %s: notify: %w", m.To, err)
	}
	return id, nil
}

// Store reads mailboxes and records receipts.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Send stores and notifies m in a transaction of its own.
func (s *Store) Send(ctx context.Context, m Message) (Message, error) {
	var out Message
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := Send(ctx, tx, m)
		if err != nil {
			return err
		}
		out, err = get(ctx, tx, id)
		return err
	})
	return out, err
}

const columns = `id, sender_kind, sender_id, recipient_kind, recipient_id, topic, title, body, ref,
	created_at, delivered_at, read_at`

func scan(row pgx.Row) (Message, error) {
	var m Message
	err := row.Scan(&m.ID, &m.From.Kind, &m.From.ID, &m.To.Kind, &m.To.ID, &m.Topic, &m.Title, &m.Body, &m.Ref,
		&m.CreatedAt, &m.DeliveredAt, &m.ReadAt)
	return m, err
}

func collect(rows pgx.Rows, err error) ([]Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func get(ctx context.Context, q pgx.Tx, id int64) (Message, error) {
	m, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}

// Get returns message id if who sent or received it.
func (s *Store) Get(ctx context.Context, who Address, id int64) (Message, error) {
	m, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM messages WHERE id = $1
		AND ((recipient_kind = $2 AND recipient_id = $3) OR (sender_kind = $2 AND sender_id = $3))`, id, who.Kind, who.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Inbox lists the messages received by to, newest first.
func (s *Store) Inbox(ctx context.Context, to Address, p Page) ([]Message, error) {
	return s.list(ctx, "recipient", to, p)
}

// Sent lists the messages sent by from, newest first, with their receipts.
func (s *Store) Sent(ctx context.Context, from Address, p Page) ([]Message, error) {
	return s.list(ctx, "sender", from, p)
}

func (s *Store) list(ctx context.Context, side string, a Address, p Page) ([]Message, error) {
	if err := a.validate("mailbox", side == "sender"); err != nil {
		return nil, err
	}
	if err := p.normalise(); err != nil {
		return nil, err
	}
	q := `SELECT ` + columns + ` FROM messages WHERE ` + side + `_kind = $1 AND ` + side + `_id = $2
		AND ($3 = 0 OR id < $3) AND (NOT $4 OR read_at IS NULL) AND ($5 = '' OR topic = $5)
		ORDER BY id DESC LIMIT $6`
	ms, err := collect(s.pool.Query(ctx, q, a.Kind, a.ID, p.Before, p.UnreadOnly, p.Topic, p.Limit))
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", a, err)
	}
	return ms, nil
}

// After returns up to limit messages received by to with an ID above after,
// oldest first: what a reconnecting client with Last-Event-ID missed.
func (s *Store) After(ctx context.Context, to Address, after int64, limit int) ([]Message, error) {
	ms, err := collect(s.pool.Query(ctx, `SELECT `+columns+` FROM messages
		WHERE recipient_kind = $1 AND recipient_id = $2 AND id > $3 ORDER BY id LIMIT $4`, to.Kind, to.ID, after, limit))
	if err != nil {
		return nil, fmt.Errorf("messages of %s after %d: %w", to, after, err)
	}
	return ms, nil
}

// Undelivered returns up to limit messages received by to and never
// delivered, oldest first: what a client connecting afresh gets first.
func (s *Store) Undelivered(ctx context.Context, to Address, limit int) ([]Message, error) {
	ms, err := collect(s.pool.Query(ctx, `SELECT `+columns+` FROM messages
		WHERE recipient_kind = $1 AND recipient_id = $2 AND delivered_at IS NULL ORDER BY id LIMIT $3`, to.Kind, to.ID, limit))
	if err != nil {
		return nil, fmt.Errorf("undelivered messages of %s: %w", to, err)
	}
	return ms, nil
}

// MarkDelivered records the delivery receipt of messages ids of to (those
// not yet delivered).
func (s *Store) MarkDelivered(ctx context.Context, to Address, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE messages SET delivered_at = now()
		WHERE id = ANY($3) AND recipient_kind = $1 AND recipient_id = $2 AND delivered_at IS NULL`, to.Kind, to.ID, ids)
	if err != nil {
		return fmt.Errorf("mark messages of %s delivered: %w", to, err)
	}
	return nil
}

// MarkRead records the read receipt of message id of to (and its delivery,
// if it was read another way) and returns the message. Reading it again
// keeps the first time.
func (s *Store) MarkRead(ctx context.Context, to Address, id int64) (Message, error) {
	m, err := scan(s.pool.QueryRow(ctx, `UPDATE messages
		SET read_at = coalesce(read_at, now()), delivered_at = coalesce(delivered_at, now())
		WHERE id = $1 AND recipient_kind = $2 AND recipient_id = $3 RETURNING `+columns, id, to.Kind, to.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, fmt.Errorf("message %d of %s: %w", id, to, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("mark message %d read: %w", id, err)
	}
	return m, nil
}

// Unread counts the unread messages of to.
func (s *Store) Unread(ctx context.Context, to Address) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages
		WHERE recipient_kind = $1 AND recipient_id = $2 AND read_at IS NULL`, to.Kind, to.ID).Scan(&n)
	return n, err
}
