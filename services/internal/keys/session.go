package keys

import (
	"crypto/hmac"
	"crypto/rand"
	"sync"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// DefaultDepartmentSession is how long a department's key stays open after
// its password was checked, when Config leaves DepartmentSession zero.
const DefaultDepartmentSession = 10 * time.Minute

// sessions keeps departments' active keys open between operations, as an
// HSM session keeps a key open for the application logged in to it: a
// department system signs and decrypts all day, and deriving its password
// (PBKDF2, ~125 ms of CPU, and two writes to the lockout counter) for every
// document, decision and material read would cost more than the work
// itself. People's keys are never held: each of their operations derives.
//
// A held key is used again only when the record it was opened from is still
// the owner's active key at the same custody revision (a password change,
// re-seal, recovery or rotation, here or in another process, ends it) and
// the password given matches, compared as HMAC-SM3 under a random key of
// this process, never stored. A wrong password is not compared with
// anything: it goes through the full derivation under the lockout counter.
// An open session outlives a lockout that wrong guesses start later, so
// that a guesser cannot stop a department system that knows its password.
type sessions struct {
	ttl    time.Duration // 0: disabled
	macKey []byte

	mu   sync.Mutex
	held map[Owner]*heldKey
}

// heldKey is an open department key and the borrowers using it.
type heldKey struct {
	keyID string
	rev   int64
	mac   []byte
	until time.Time
	sk    *SoftKey
	refs  int  // borrowed views not yet destroyed
	gone  bool // replaced or expired: destroy when refs reach 0
}

func newSessions(ttl time.Duration) *sessions {
	key := make([]byte, 32)
	rand.Read(key)
	return &sessions{ttl: ttl, macKey: key, held: map[Owner]*heldKey{}}
}

func (ss *sessions) mac(password string) []byte {
	m := hmac.New(gm.NewHash, ss.macKey)
	m.Write([]byte(password))
	return m.Sum(nil)
}

// borrow returns a view of owner's held key when r is still the record it
// was opened from and password is the one that opened it, or nil.
func (ss *sessions) borrow(owner Owner, r *record, password string, now time.Time) *SoftKey {
	if ss.ttl <= 0 || owner.Kind != KindDepartment {
		return nil
	}
	mac := ss.mac(password)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	h := ss.held[owner]
	if h == nil {
		return nil
	}
	if h.keyID != r.ID || h.rev != r.rev || !now.Before(h.until) {
		ss.drop(owner, h)
		return nil
	}
	if !hmac.Equal(h.mac, mac) {
		return nil
	}
	h.refs++
	return h.sk.view(func() { ss.release(h) })
}

// keep holds sk, just opened from owner's active record r with password,
// and returns the caller's view of it; sk itself is only destroyed when
// the session ends. Keys of other owners, and every key when sessions are
// disabled, are returned as they are.
func (ss *sessions) keep(owner Owner, r *record, password string, sk *SoftKey, now time.Time) *SoftKey {
	if ss.ttl <= 0 || owner.Kind != KindDepartment || r.Status != StatusActive {
		return sk
	}
	h := &heldKey{keyID: r.ID, rev: r.rev, mac: ss.mac(password), until: now.Add(ss.ttl), sk: sk, refs: 1}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if old := ss.held[owner]; old != nil {
		ss.drop(owner, old)
	}
	ss.held[owner] = h
	return sk.view(func() { ss.release(h) })
}

// drop ends h's session; called with mu held.
func (ss *sessions) drop(owner Owner, h *heldKey) {
	if ss.held[owner] == h {
		delete(ss.held, owner)
	}
	h.gone = true
	if h.refs == 0 {
		h.sk.Destroy()
	}
}

func (ss *sessions) release(h *heldKey) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	h.refs--
	if h.gone && h.refs == 0 {
		h.sk.Destroy()
	}
}
