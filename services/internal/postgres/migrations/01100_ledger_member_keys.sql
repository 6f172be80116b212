-- +goose Up
-- Every SM2 public key a member has had on chain, with the chain time from
-- which it was in force (its admission, then each ChangeMemberKey): the
-- projection keeps the history so that a document is verified under the key
-- that was the issuer's when its asset was created, not the member's current
-- one (issuance.VerifyPDF, VerifyPayload).
CREATE TABLE ledger_member_keys (
    member     text        NOT NULL,
    public_key text        NOT NULL,
    valid_from timestamptz NOT NULL,
    tx_id      text        NOT NULL,
    PRIMARY KEY (member, valid_from)
);

-- Before ChangeMemberKey no member's key ever changed: each member's key has
-- been in force since its record was created.
INSERT INTO ledger_member_keys (member, public_key, valid_from, tx_id)
SELECT id, record->>'publicKey', (record->>'createdAt')::timestamptz, record->>'createdTx' FROM ledger_members
WHERE record->>'publicKey' IS NOT NULL AND record->>'createdAt' IS NOT NULL;

-- +goose Down
DROP TABLE ledger_member_keys;
