package audit

import (
	"context"
	"sync"
)

// Request is what the audit log knows about the request a context belongs
// to. The middleware puts one into the request's context before the handlers
// run; the authentication middleware fills the actor in through SetActor, so
// that entries recorded deeper down (Record) name who caused them.
type Request struct {
	ID     string
	Source string

	mu    sync.Mutex
	actor Actor
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the Request ctx carries, or nil.
func RequestFrom(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// SetActor records who is making the request ctx belongs to. It does nothing
// on a context without a Request.
func SetActor(ctx context.Context, a Actor) {
	if r := RequestFrom(ctx); r != nil {
		r.mu.Lock()
		r.actor = a
		r.mu.Unlock()
	}
}

// ActorFrom returns the actor set on ctx's request, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	r := RequestFrom(ctx)
	if r == nil {
		return Actor{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.actor, r.actor.Kind != ""
}

// FromContext returns e with its actor, source and request ID taken from
// ctx's request where e leaves them empty.
func FromContext(ctx context.Context, e Entry) Entry {
	r := RequestFrom(ctx)
	if r == nil {
		return e
	}
	if e.Source == "" {
		e.Source = r.Source
	}
	if e.RequestID == "" {
		e.RequestID = r.ID
	}
	if e.ActorKind == "" && e.ActorID == "" {
		if a, ok := ActorFrom(ctx); ok {
			e.ActorKind, e.ActorID, e.ActorName = a.Kind, a.ID, a.Name
		}
	}
	return e
}
