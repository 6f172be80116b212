package messages_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

var (
	bank    = messages.Address{Kind: messages.KindMember, ID: "BankMSP"}
	company = messages.Address{Kind: messages.KindSubject, ID: "a1b2c3"}
	clerk   = messages.Address{Kind: messages.KindUser, ID: "u-42"}
)

func msg(from, to messages.Address, title string) messages.Message {
	return messages.Message{From: from, To: to, Topic: "notice", Title: title, Body: "body of " + title}
}

func count(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSend_InCallersTransaction(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	boom := errors.New("domain failed")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := messages.Send(ctx, tx, msg(messages.System, company, "reminder")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count(t, pool) != 0 {
		t.Fatalf("rolled back send: err %v, %d rows", err, count(t, pool))
	}
	var first, second int64
	for _, id := range []*int64{&first, &second} {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			m := msg(messages.System, company, "reminder")
			m.DedupKey = "request/1/reminder/1"
			var err error
			*id, err = messages.Send(ctx, tx, m)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if first != second || count(t, pool) != 1 {
		t.Fatalf("dedup: ids %d %d, %d rows", first, second, count(t, pool))
	}
}

func TestSend_BadInput(t *testing.T) {
	pool := pgtest.New(t)
	store := messages.NewStore(pool)
	long := string(make([]rune, messages.MaxTitleLen+1))
	cases := map[string]func(*messages.Message){
		"no recipient":      func(m *messages.Message) { m.To = messages.Address{} },
		"unknown kind":      func(m *messages.Message) { m.To.Kind = "planet" },
		"to system":         func(m *messages.Message) { m.To = messages.System },
		"colon in id":       func(m *messages.Message) { m.To.ID = "a:b" },
		"no title":          func(m *messages.Message) { m.Title = " " },
		"long title":        func(m *messages.Message) { m.Title = long },
		"no topic":          func(m *messages.Message) { m.Topic = "" },
		"topic with space":  func(m *messages.Message) { m.Topic = "a b" },
		"nul in body":       func(m *messages.Message) { m.Body = "a\x00b" },
		"bad sender kind":   func(m *messages.Message) { m.From.Kind = "" },
		"invalid utf8 body": func(m *messages.Message) { m.Body = "\xff" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := msg(bank, company, "hello")
			mutate(&m)
			if _, err := store.Send(context.Background(), m); !errors.Is(err, messages.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
		})
	}
	if n := count(t, pool); n != 0 {
		t.Fatalf("%d rows stored from bad input", n)
	}
}

func TestStore_InboxPagesAndReceipts(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	store := messages.NewStore(pool)
	var ids []int64
	for i := range 5 {
		m, err := store.Send(ctx, msg(bank, company, fmt.Sprint("m", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if _, err := store.Send(ctx, msg(bank, clerk, "other mailbox")); err != nil {
		t.Fatal(err)
	}
	page1, err := store.Inbox(ctx, company, messages.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	page2, _ := store.Inbox(ctx, company, messages.Page{Limit: 2, Before: page1[1].ID})
	page3, _ := store.Inbox(ctx, company, messages.Page{Limit: 2, Before: page2[1].ID})
	got := []int64{}
	for _, p := range [][]messages.Message{page1, page2, page3} {
		for _, m := range p {
			got = append(got, m.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint([]int64{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("pages %v, sent %v", got, ids)
	}

	read, err := store.MarkRead(ctx, company, ids[1])
	if err != nil || read.ReadAt == nil || read.DeliveredAt == nil {
		t.Fatalf("mark read: %+v %v", read, err)
	}
	again, _ := store.MarkRead(ctx, company, ids[1])
	if !again.ReadAt.Equal(*read.ReadAt) {
		t.Fatal("a second read moved the read receipt")
	}
	if _, err := store.MarkRead(ctx, clerk, ids[2]); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("someone else's message: %v", err)
	}
	unread, _ := store.Inbox(ctx, company, messages.Page{UnreadOnly: true})
	if n, _ := store.Unread(ctx, company); n != 4 || len(unread) != 4 {
		t.Fatalf("unread %d / %d, want 4", n, len(unread))
	}
	sent, _ := store.Sent(ctx, bank, messages.Page{})
	var receipt *time.Time
	for _, m := range sent {
		if m.ID == ids[1] {
			receipt = m.ReadAt
		}
	}
	if len(sent) != 6 || receipt == nil {
		t.Fatalf("sender sees %d messages, receipt %v", len(sent), receipt)
	}
	if _, err := store.Get(ctx, clerk, ids[1]); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("a third party read a message: %v", err)
	}
	if _, err := store.Inbox(ctx, company, messages.Page{Limit: messages.MaxLimit + 1}); !errors.Is(err, messages.ErrInvalid) {
		t.Fatalf("limit too big: %v", err)
	}
}

// stream runs Store.Stream in the background and collects what it emits.
type stream struct {
	got    chan messages.Message
	cancel context.CancelFunc
	done   chan error
}

func open(t *testing.T, store *messages.Store, hub *messages.Hub, to messages.Address, last int64) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{got: make(chan messages.Message, 100), cancel: cancel, done: make(chan error, 1)}
	before := hub.Connected(to)
	go func() {
		s.done <- store.Stream(ctx, hub, to, last, 0, func(m messages.Message) error { s.got <- m; return nil }, nil)
	}()
	for hub.Connected(to) == before {
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	<-s.done
	s.done <- nil
}

func (s *stream) expect(t *testing.T, titles ...string) []messages.Message {
	t.Helper()
	var out []messages.Message
	for _, want := range titles {
		select {
		case m := <-s.got:
			if m.Title != want {
				t.Fatalf("got %q, want %q", m.Title, want)
			}
			out = append(out, m)
		case <-time.After(5 * time.Second):
			t.Fatalf("no message %q", want)
		}
	}
	select {
	case m := <-s.got:
		t.Fatalf("unexpected message %q", m.Title)
	case <-time.After(100 * time.Millisecond):
	}
	return out
}

func TestStream_LiveOfflineAndReplay(t *testing.T) {
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := messages.NewStore(pool)
	hub := messages.NewHub(pool, nil)
	go hub.Run(ctx)
	<-hub.Ready()

	// Offline: sent while the company is not connected, delivered on connect.
	for _, title := range []string{"offline 1", "offline 2"} {
		if _, err := store.Send(ctx, msg(bank, company, title)); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, store, hub, company, 0)
	got := s.expect(t, "offline 1", "offline 2")
	if m, _ := store.Get(ctx, company, got[0].ID); m.DeliveredAt == nil {
		t.Fatal("no delivery receipt")
	}

	// Live: a message sent now arrives on the open stream; others' do not.
	if _, err := store.Send(ctx, msg(bank, clerk, "for the clerk")); err != nil {
		t.Fatal(err)
	}
	live, err := store.Send(ctx, msg(clerk, company, "live"))
	if err != nil {
		t.Fatal(err)
	}
	s.expect(t, "live")
	s.close()

	// A fresh connection gets nothing already delivered.
	s = open(t, store, hub, company, 0)
	s.expect(t)
	s.close()

	// Reconnect with Last-Event-ID: what was missed since, even if delivered
	// to another connection meanwhile.
	for _, title := range []string{"missed 1", "missed 2"} {
		if _, err := store.Send(ctx, msg(bank, company, title)); err != nil {
			t.Fatal(err)
		}
	}
	other := open(t, store, hub, company, 0)
	other.expect(t, "missed 1", "missed 2")
	s = open(t, store, hub, company, live.ID)
	s.expect(t, "missed 1", "missed 2")

	// Two connections of one recipient both get a live message.
	if _, err := store.Send(ctx, msg(bank, company, "both")); err != nil {
		t.Fatal(err)
	}
	s.expect(t, "both")
	other.expect(t, "both")
}

func TestStream_BadInput(t *testing.T) {
	pool := pgtest.New(t)
	store := messages.NewStore(pool)
	hub := messages.NewHub(pool, nil)
	emit := func(messages.Message) error { return nil }
	if err := store.Stream(context.Background(), hub, messages.Address{Kind: "x", ID: "y"}, 0, 0, emit, nil); !errors.Is(err, messages.ErrInvalid) {
		t.Fatalf("bad recipient: %v", err)
	}
	if err := store.Stream(context.Background(), hub, company, -1, 0, emit, nil); !errors.Is(err, messages.ErrInvalid) {
		t.Fatalf("bad last ID: %v", err)
	}
}

func TestStream_KeepaliveOnIdle(t *testing.T) {
	pool := pgtest.New(t)
	store := messages.NewStore(pool)
	hub := messages.NewHub(pool, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pings := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- store.Stream(ctx, hub, company, 0, 20*time.Millisecond,
			func(messages.Message) error { return nil }, func() error { pings <- struct{}{}; return nil })
	}()
	for range 2 {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatal("no keepalive on an idle stream")
		}
	}
	// A failing ping (the client went away) ends the stream.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stream ended with %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	gone := errors.New("client gone")
	err := store.Stream(ctx2, hub, company, 0, 10*time.Millisecond, func(messages.Message) error { return nil }, func() error { return gone })
	if !errors.Is(err, gone) {
		t.Fatalf("failing ping: %v", err)
	}
}
