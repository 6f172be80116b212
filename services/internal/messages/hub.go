package messages

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Hub wakes the live connections of a recipient when a message for it
// commits, in whichever process it was sent: it LISTENs on Channel over one
// connection of its own. A wake-up carries nothing; the connection reads
// what is new from the store, so a missed or doubled notification loses or
// repeats nothing.
type Hub struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
	up   chan struct{} // closed once listening
}

// NewHub returns a hub over pool; Run makes it listen.
func NewHub(pool *pgxpool.Pool, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{pool: pool, log: log, subs: map[string]map[chan struct{}]struct{}{}, up: make(chan struct{})}
}

// Subscribe registers a live connection of to. The channel receives (without
// blocking the hub; wake-ups coalesce) whenever something for to may be new;
// cancel unregisters it.
func (h *Hub) Subscribe(to Address) (wake <-chan struct{}, cancel func()) {
	c := make(chan struct{}, 1)
	key := to.String()
	h.mu.Lock()
	if h.subs[key] == nil {
		h.subs[key] = map[chan struct{}]struct{}{}
	}
	h.subs[key][c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs[key], c)
		if len(h.subs[key]) == 0 {
			delete(h.subs, key)
		}
		h.mu.Unlock()
	}
}

// Connected counts the live connections of to.
func (h *Hub) Connected(to Address) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[to.String()])
}

// Ready is closed once the hub listens.
func (h *Hub) Ready() <-chan struct{} { return h.up }

func (h *Hub) wake(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs[key] {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (h *Hub) wakeAll() {
	h.mu.Lock()
	keys := make([]string, 0, len(h.subs))
	for k := range h.subs {
		keys = append(keys, k)
	}
	h.mu.Unlock()
	for _, k := range keys {
		h.wake(k)
	}
}

// Run listens until ctx ends, reconnecting after a lost connection (and then
// waking every subscriber, since notifications may have been missed).
func (h *Hub) Run(ctx context.Context) {
	var once sync.Once
	for ctx.Err() == nil {
		err := h.listen(ctx, func() { once.Do(func() { close(h.up) }) })
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("messages: listener lost, reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (h *Hub) listen(ctx context.Context, ready func()) error {
	conn, err := h.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection has a LISTEN on it; it never goes back to the pool.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ready()
	h.wakeAll()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		h.wake(n.Payload)
	}
}
