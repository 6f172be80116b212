package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The cache lets Authenticate answer a known session token, and GetUser a
// user it has read before, from memory instead of a query per request,
// without letting a revocation or a change wait.
//
// Correctness rests on three rules:
//
//  1. Every change that can end a session or change its principal (session
//     revoked or deleted; user disabled, renamed, moved, password changed,
//     must-change set; a role granted or taken), every change of what
//     GetUser answers (name, positions, TOTP, lockout; migration 01200), and
//     every change of the role → permission policy fires a trigger
//     (migration 00402) that NOTIFYs kaiban_identity when its transaction
//     commits. A listener goroutine on its own connection drops what is
//     cached of the user (or the policy) as each notification arrives — well
//     under a millisecond after the commit, in every process of the
//     deployment. The process that made the change also drops it itself
//     right after its commit (forgetUser), so within one process a change is
//     seen before its request answers.
//  2. An entry is only added when no invalidation happened while it was read
//     from the database (generation check): a read that raced a change
//     cannot put the state before it back.
//  3. The cache is used only while the listener is listening. When its
//     connection fails, the cache is emptied and bypassed (every request
//     queries the database, as without a cache) until the listener is back
//     and has emptied the cache again — notifications sent meanwhile are lost,
//     so nothing cached before can be trusted.
//
// Besides, an entry lives at most touchEvery (one minute): the request after
// that goes to the database (which, for a session, checks everything and
// touches its last use), so even a cache that missed a notification could
// not be wrong for longer than that.

// notifyChannel is the channel of the triggers of migrations 00402 and 01200.
const notifyChannel = "kaiban_identity"

// listenerName is the listener connection's application_name, by which it
// shows in pg_stat_activity.
const listenerName = "kaiban identity listener"

// heartbeatEvery is how long the listener waits for a notification before
// it pings the server; liveHorizon is how long after it last heard from the
// server the cache is still used. The server sends a committed change's
// notification before it answers a later ping, so an answered ping proves
// that nothing committed before it is unheard.
const (
	heartbeatEvery = 250 * time.Millisecond
	liveHorizon    = time.Second
)

// maxCachedSessions and maxCachedUsers bound the cache; past them, an
// arbitrary entry goes.
const (
	maxCachedSessions = 100_000
	maxCachedUsers    = 100_000
)

type cachedSession struct {
	p         Principal
	expiresAt time.Time
	lastSeen  time.Time // as stored: the last touch
}

// cachedUser is GetUser's answer as read, with its name opened.
type cachedUser struct {
	u      User
	readAt time.Time
}

type cache struct {
	mu       sync.RWMutex
	byToken  map[string]*cachedSession // token hash →
	byUser   map[string]map[string]struct{}
	users    map[string]cachedUser // user ID →
	gen      uint64                // bumped by every invalidation
	online   bool                  // the listener is listening: entries may be added
	lastLive time.Time             // when the listener last heard from the server
	onPolicy func()                // the policy changed in some process

	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

func newCache(log *slog.Logger, onPolicy func()) *cache {
	return &cache{byToken: map[string]*cachedSession{}, byUser: map[string]map[string]struct{}{}, users: map[string]cachedUser{},
		onPolicy: onPolicy, log: log}
}

// get returns the session cached under token hash h.
func (c *cache) get(h string) (cachedSession, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byToken[h]
	if !ok || !c.live() {
		return cachedSession{}, false
	}
	return *e, true
}

// live reports whether the cache may answer: its listener listens and has
// heard from the server within liveHorizon. The caller holds mu.
func (c *cache) live() bool {
	return c.online && time.Since(c.lastLive) < liveHorizon
}

// generation is the invalidation count to pass to put after reading a
// session from the database.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches e under h unless an invalidation happened since gen was taken.
func (c *cache) put(h string, e cachedSession, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.online || c.gen != gen {
		return
	}
	if len(c.byToken) >= maxCachedSessions {
		for k, old := range c.byToken {
			c.remove(k, old.p.ID)
			break
		}
	}
	c.byToken[h] = &e
	if c.byUser[e.p.ID] == nil {
		c.byUser[e.p.ID] = map[string]struct{}{}
	}
	c.byUser[e.p.ID][h] = struct{}{}
}

// user returns the user cached under id, read less than touchEvery ago.
func (c *cache) user(id string) (User, bool) {
	c.mu.RLock()
	e, ok := c.users[id]
	live := c.live()
	c.mu.RUnlock()
	if !ok || !live || time.Since(e.readAt) >= touchEvery {
		return User{}, false
	}
	// Each caller gets its own slices: it may change them.
	u := e.u
	u.Positions, u.Roles = slices.Clone(u.Positions), slices.Clone(u.Roles)
	return u, true
}

// putUser caches u, read at readAt, unless an invalidation happened since
// gen was taken.
func (c *cache) putUser(u User, readAt time.Time, gen uint64) {
	u.Positions, u.Roles = slices.Clone(u.Positions), slices.Clone(u.Roles)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.online || c.gen != gen {
		return
	}
	if len(c.users) >= maxCachedUsers {
		for k := range c.users {
			delete(c.users, k)
			break
		}
	}
	c.users[u.ID] = cachedUser{u: u, readAt: readAt}
}

func (c *cache) remove(h, userID string) {
	delete(c.byToken, h)
	if toks := c.byUser[userID]; toks != nil {
		delete(toks, h)
		if len(toks) == 0 {
			delete(c.byUser, userID)
		}
	}
}

// forget drops every cached session of userID, and the user.
func (c *cache) forget(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.users, userID)
	for h := range c.byUser[userID] {
		delete(c.byToken, h)
	}
	delete(c.byUser, userID)
}

// setOnline empties the cache and turns it on or off.
func (c *cache) setOnline(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.online = on
	c.lastLive = time.Now()
	clear(c.byToken)
	clear(c.byUser)
	clear(c.users)
}

// heard records that the listener's connection is alive.
func (c *cache) heard() {
	c.mu.Lock()
	c.lastLive = time.Now()
	c.mu.Unlock()
}

// start runs the listener on a connection of its own (outside pool, so that
// closing the pool never waits for it) until stop.
func (c *cache) start(pool *pgxpool.Pool) {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	cfg := pool.Config().ConnConfig.Copy()
	go func() {
		defer close(c.done)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := c.listen(ctx, cfg)
			c.setOnline(false)
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("identity: cache off until its listener reconnects", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
}

// listen LISTENs, turns the cache on, and applies notifications until the
// connection fails or ctx ends. When nothing arrives for heartbeatEvery it
// pings the server, so that a connection that died silently (a network
// partition sends no reset) is noticed within liveHorizon.
func (c *cache) listen(ctx context.Context, cfg *pgx.ConnConfig) error {
	cfg = cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenerName
	// A wait that times out must leave the connection usable: interrupt the
	// read with a deadline, not with a cancel request to the server.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Whatever changed before LISTEN took effect was never heard: the cache
	// starts empty, and the policy is reloaded.
	c.setOnline(true)
	c.onPolicy()
	for {
		wctx, cancel := context.WithTimeout(ctx, heartbeatEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			c.heard()
			if n.Payload == "p" {
				c.onPolicy()
			} else if id, ok := strings.CutPrefix(n.Payload, "u:"); ok {
				c.forget(id)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, liveHorizon)
			_, err := conn.Exec(pctx, "SELECT 1")
			cancel()
			if err != nil {
				return fmt.Errorf("listener ping: %w", err)
			}
			c.heard()
		default:
			return err
		}
	}
}

// stop ends the listener and waits for it.
func (c *cache) stop() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
}

// waitOnline waits until the listener listens or ctx ends (tests, and a
// process that wants its cache warm from the first request).
func (c *cache) waitOnline(ctx context.Context) error {
	for {
		c.mu.RLock()
		on := c.online
		c.mu.RUnlock()
		if on {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
