package httpapi

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// limiters holds one token bucket per client. A bucket unused for idleAfter
// is dropped (a full bucket carries no state worth keeping), so the map
// grows with the clients of the last minutes, not of all time.
type limiters struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	clients   map[string]*clientLimiter
	lastSweep time.Time
}

type clientLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

const idleAfter = 10 * time.Minute

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{limit: rate.Limit(perSecond), burst: burst, clients: map[string]*clientLimiter{}}
}

// reserve takes a token for key at now, or says how long until one is free.
func (l *limiters) reserve(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	if now.Sub(l.lastSweep) > idleAfter {
		for k, c := range l.clients {
			if now.Sub(c.seen) > idleAfter {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	c := l.clients[key]
	if c == nil {
		c = &clientLimiter{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	l.mu.Unlock()

	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request does not spend the client's next token
		return false, d
	}
	return true, 0
}

// rateLimit refuses a request over its client's rate with 429 and
// Retry-After. The client is the authenticated one when the authenticator
// ran, else the IP address. Operations marked x-kaiban-rate-limit: false in
// the contract (health probes) are exempt.
func (l *limiters) middleware(c *gin.Context) {
	if r := routeOf(c); r != nil && !r.rateLimited {
		c.Next()
		return
	}
	key := Client(c)
	if key == "" {
		key = "ip:" + c.ClientIP()
	} else {
		key = "client:" + key
	}
	if ok, wait := l.reserve(key, time.Now()); !ok {
		writeError(c, &RateLimitedError{Wait: wait})
		return
	}
	c.Next()
}
