-- +goose Up
-- Locker openings (数字保险箱开户, A.5): the personal and enterprise data
-- behind a subject's on-chain commitments. Personal data is sealed with SM4
-- (package pii, bound to column and row) and found through HMAC-SM3 blind
-- indexes; the salt opens the commitments for a later proof and never goes
-- on chain.
CREATE TABLE locker_lockers (
    id              text        PRIMARY KEY,  -- the subject ID (model.SubjectID)
    kind            text        NOT NULL,
    salt            bytea       NOT NULL,
    name_sealed     bytea       NOT NULL,
    identity_index  text        NOT NULL UNIQUE, -- enterprise USCC or name / person ID number
    basics_sealed   bytea       NOT NULL,     -- JSON of the enterprise basics or person
    legal_rep_name_sealed bytea,
    legal_rep_id_sealed   bytea,
    legal_rep_id_index    text,
    clerk_id        text        NOT NULL,
    gateway         text        NOT NULL,     -- chain identity that submits the subject's requests
    apply_key       text        NOT NULL,     -- outbox key of ApplySubject
    review_key      text,                     -- outbox key of ReviewSubject
    reviewed_by     text,
    review_note     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locker_lockers_legal_rep ON locker_lockers (legal_rep_id_index);

-- +goose Down
DROP TABLE locker_lockers;
