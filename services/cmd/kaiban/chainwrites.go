package main

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// The chain writes that domain services ask for through hooks, enqueued in
// the outbox within the domain's own transaction.

// recordKeyChange records a subject's rotated key on chain: the subject
// chaincode's ChangeSubjectKey with the request the old key signed, sent as
// the platform's identity. A key is rotated away once, so the old key's ID
// makes the write's idempotency key; the subject's lane keeps its changes in
// order.
func (p *platform) recordKeyChange(ctx context.Context, tx pgx.Tx, c keys.KeyChange) error {
	_, err := p.outbox.Enqueue(ctx, tx, outbox.Write{
		Key:       "keys/subject-key-change/" + c.OldKeyID,
		Identity:  p.chain.Identities()[0],
		Chaincode: model.ChaincodeSubject,
		Function:  "ChangeSubjectKey",
		Args:      []string{c.Canonical, c.Signature},
		Lane:      "subject/" + c.Request.Subject,
	})
	return err
}

// recordMemberKeyChange records a department's rotated key on chain: the
// subject chaincode's ChangeMemberKey with the request the old key signed,
// sent as the department's member itself (the chaincode accepts only the
// member's own identities). The old key's ID makes the idempotency key; the
// member's lane keeps its changes in order.
func (p *platform) recordMemberKeyChange(ctx context.Context, tx pgx.Tx, c keys.MemberKeyChange) error {
	_, err := p.outbox.Enqueue(ctx, tx, outbox.Write{
		Key:       "keys/member-key-change/" + c.OldKeyID,
		Identity:  c.Request.Member,
		Chaincode: model.ChaincodeSubject,
		Function:  "ChangeMemberKey",
		Args:      []string{c.Canonical, c.Signature},
		Lane:      "member/" + c.Request.Member,
	})
	return err
}
