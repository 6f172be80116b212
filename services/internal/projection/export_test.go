package projection

import "github.com/kaiban-platform/kaiban/services/internal/chain"

// SetAfterCommit makes the projector call f after each committed batch with
// the batch's last event.
func SetAfterCommit(p *Projector, f func(chain.Event)) { p.afterCommit = f }
