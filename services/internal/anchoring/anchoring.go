// Package anchoring puts the audit log's head on chain: it is the
// audit.Anchorer and audit.AnchorSource of a platform, over the subject
// chaincode's AnchorAudit and LatestAuditAnchor. The log's SM3 chain finds
// rows altered or inserted in the database; the anchors, held by the
// consortium's ledger, find rows deleted from the end.
package anchoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// Ledger anchors one member's audit log through a contract of the subject
// chaincode seen by an identity of that member.
type Ledger struct {
	subject *chain.Contract
}

var (
	_ audit.Anchorer     = (*Ledger)(nil)
	_ audit.AnchorSource = (*Ledger)(nil)
)

// New returns the anchoring of the member whose identity sees subject, which
// must be the subject chaincode.
func New(subject *chain.Contract) (*Ledger, error) {
	if subject.Name() != model.ChaincodeSubject {
		return nil, fmt.Errorf("anchoring: contract is %s, want %s", subject.Name(), model.ChaincodeSubject)
	}
	return &Ledger{subject: subject}, nil
}

// Anchor submits AnchorAudit for row seq with head and returns the ID of the
// transaction that carries it. Re-anchoring the latest anchor is harmless.
func (l *Ledger) Anchor(ctx context.Context, seq uint64, head string) (string, error) {
	if seq > math.MaxInt64 {
		return "", fmt.Errorf("anchor audit row %d: beyond the ledger's range", seq)
	}
	req, err := model.Canonical(&model.AuditAnchorRequest{Seq: int64(seq), Head: head})
	if err != nil {
		return "", err
	}
	a, _, err := chain.SubmitJSON[model.AuditAnchor](ctx, l.subject, "AnchorAudit", chain.WithArguments(string(req)))
	if err != nil {
		return "", fmt.Errorf("anchor audit row %d: %w", seq, err)
	}
	// An identical retry returns the existing anchor, whose transaction is
	// the one that first carried it.
	return a.TxID, nil
}

// LatestAnchor reads the member's most recent anchor from the ledger.
func (l *Ledger) LatestAnchor(ctx context.Context) (audit.Anchor, bool, error) {
	raw, err := l.subject.Evaluate(ctx, "LatestAuditAnchor", chain.WithArguments(l.subject.Identity().MSPID()))
	if errors.Is(err, model.ErrNotFound) {
		return audit.Anchor{}, false, nil
	}
	if err != nil {
		return audit.Anchor{}, false, fmt.Errorf("latest audit anchor: %w", err)
	}
	var a model.AuditAnchor
	if err := json.Unmarshal(raw, &a); err != nil {
		return audit.Anchor{}, false, fmt.Errorf("latest audit anchor: %w", err)
	}
	at, err := model.ParseTime(a.At)
	if err != nil {
		return audit.Anchor{}, false, fmt.Errorf("latest audit anchor: %w", err)
	}
	return audit.Anchor{Seq: uint64(a.Seq), Head: a.Head, TxID: a.TxID, AnchoredAt: at}, true, nil
}
