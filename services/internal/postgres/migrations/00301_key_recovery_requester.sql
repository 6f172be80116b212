-- +goose Up
-- Who opened a recovery (the authenticated client of the request), so that a
-- department checks the requester before it releases its share.
ALTER TABLE key_recoveries ADD COLUMN requested_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE key_recoveries DROP COLUMN requested_by;
