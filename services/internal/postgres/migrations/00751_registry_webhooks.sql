-- +goose Up
-- Where a department system wants its tasks pushed (7.6.1 automatic
-- distribution, 7.7 "receive or pull"): an HTTPS endpoint that gets a signed
-- task.ready notice when one of its steps becomes ready. Pulling through the
-- task API works without one.
ALTER TABLE registry_departments ADD COLUMN webhook_url text
    CHECK (webhook_url IS NULL OR webhook_url ~ '^https?://');

-- +goose Down
ALTER TABLE registry_departments DROP COLUMN webhook_url;
