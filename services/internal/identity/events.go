package identity

import (
	"encoding/json"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// event builds the audit entry of a security event. With a nil actor the
// audit log takes the actor from the request's context.
func (s *Service) event(actor *Principal, action, resource, result string, detail map[string]any) audit.Entry {
	e := audit.Entry{Action: action, Resource: resource, Result: result}
	if actor != nil {
		a := actor.AuditActor()
		e.ActorKind, e.ActorID, e.ActorName = a.Kind, a.ID, a.Name
	}
	if len(detail) > 0 {
		b, _ := json.Marshal(detail)
		e.Detail = string(b)
	}
	return e
}
