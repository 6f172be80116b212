// Package messages is point-to-point messaging (DB37/T 4431-2021 7.4.4 e)
// between trusted subjects, alliance members (departments and institutions)
// and users: a message is stored in the sender's database transaction (Send),
// delivered live to a connected recipient (Hub, over PostgreSQL
// LISTEN/NOTIFY so that any process of a deployment may send), kept for a
// recipient that is not connected until it next connects (Undelivered), and
// carries delivery and read receipts.
//
// Other domains call Send inside their own transaction, so a reminder or a
// notice exists exactly when the change that caused it commits:
//
//	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
//		// ... the domain's own rows ...
//		_, err := messages.Send(ctx, tx, messages.Message{
//			From:  messages.System,
//			To:    messages.Address{Kind: messages.KindSubject, ID: owner},
//			Topic: "locker.request", Title: "Authorization requested", Body: "...", Ref: requestID,
//		})
//		return err
//	})
package messages

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of address.
const (
	KindSubject = "subject" // a trusted subject (enterprise, person, institution) by its subject ID
	KindMember  = "member"  // an alliance member (department, institution) by its MSP ID
	KindUser    = "user"    // a platform user by user ID
	KindSystem  = "system"  // the platform itself; a sender only
)

// Limits on a message's fields.
const (
	MaxIDLen    = 128
	MaxTopicLen = 64
	MaxTitleLen = 200
	MaxBodyLen  = 8000
	MaxRefLen   = 200
)

// System is the platform as a sender (reminders, notices of jobs).
var System = Address{Kind: KindSystem, ID: "kaiban"}

// Errors callers branch on.
var (
	// ErrInvalid wraps every validation failure of a message or a query.
	ErrInvalid = errors.New("messages: invalid")
	// ErrNotFound is a message that does not exist or is not the caller's.
	ErrNotFound = errors.New("messages: not found")
)

// Address names a sender or a recipient.
type Address struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// String returns "kind:id", the form used in notifications.
func (a Address) String() string { return a.Kind + ":" + a.ID }

// ParseAddress parses "kind:id".
func ParseAddress(s string) (Address, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return Address{}, fmt.Errorf("%w: address %q is not kind:id", ErrInvalid, s)
	}
	a := Address{Kind: kind, ID: id}
	return a, a.validate("address", false)
}

func (a Address) validate(field string, sender bool) error {
	switch a.Kind {
	case KindSubject, KindMember, KindUser:
	case KindSystem:
		if !sender {
			return fmt.Errorf("%w: %s: the system receives no messages", ErrInvalid, field)
		}
	default:
		return fmt.Errorf("%w: %s kind %q is not subject, member or user", ErrInvalid, field, a.Kind)
	}
	if a.ID == "" || len(a.ID) > MaxIDLen || strings.ContainsAny(a.ID, ": \t\r\n") || !utf8.ValidString(a.ID) {
		return fmt.Errorf("%w: %s ID must be 1 to %d characters without spaces or colons", ErrInvalid, field, MaxIDLen)
	}
	return nil
}

// Message is one message, as sent and as stored.
type Message struct {
	ID    int64   `json:"id"`
	From  Address `json:"from"`
	To    Address `json:"to"`
	Topic string  `json:"topic"` // what it is about, for filtering: "locker.reminder", "notice"
	Title string  `json:"title"`
	Body  string  `json:"body"`
	Ref   string  `json:"ref,omitempty"` // the record it concerns (request, process, asset ID)
	// DedupKey, when set, makes Send idempotent: a second message with the
	// same key is not stored (a retried job sends its reminder once).
	DedupKey    string     `json:"-"`
	CreatedAt   time.Time  `json:"createdAt"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	ReadAt      *time.Time `json:"readAt,omitempty"`
}

// Validate checks a message to be sent.
func (m *Message) Validate() error {
	if err := m.From.validate("from", true); err != nil {
		return err
	}
	if err := m.To.validate("to", false); err != nil {
		return err
	}
	if err := text("topic", m.Topic, MaxTopicLen, true); err != nil {
		return err
	}
	if strings.ContainsAny(m.Topic, " \t\r\n") {
		return fmt.Errorf("%w: topic has no spaces", ErrInvalid)
	}
	if err := text("title", m.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := text("body", m.Body, MaxBodyLen, false); err != nil {
		return err
	}
	if err := text("ref", m.Ref, MaxRefLen, false); err != nil {
		return err
	}
	return text("dedupKey", m.DedupKey, MaxRefLen, false)
}

func text(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || strings.ContainsRune(s, 0) {
		return fmt.Errorf("%w: %s must be valid text of at most %d characters", ErrInvalid, field, max)
	}
	return nil
}

// Page selects part of a mailbox, newest first: messages with an ID below
// Before (all when 0), at most Limit (DefaultLimit when 0).
type Page struct {
	Before     int64
	Limit      int
	UnreadOnly bool
	Topic      string
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

func (p *Page) normalise() error {
	if p.Before < 0 {
		return fmt.Errorf("%w: before must be a message ID", ErrInvalid)
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		return fmt.Errorf("%w: limit must be 1 to %d", ErrInvalid, MaxLimit)
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	return text("topic", p.Topic, MaxTopicLen, false)
}
