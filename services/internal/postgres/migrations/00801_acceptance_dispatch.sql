-- +goose Up
-- Task pushes to the department systems' webhooks (acceptance.Dispatcher):
-- one row per ready step pushed or being pushed, so a step is announced once
-- and a failing endpoint is retried with the attempts counted.
CREATE TABLE acceptance_dispatches (
    process       text NOT NULL,
    step_key      text NOT NULL,
    department    text NOT NULL,
    url           text NOT NULL,
    status        text NOT NULL CHECK (status IN ('delivered', 'retrying')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    next_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    PRIMARY KEY (process, step_key)
);
CREATE INDEX acceptance_dispatches_retry ON acceptance_dispatches (next_at) WHERE status = 'retrying';

-- +goose Down
DROP TABLE acceptance_dispatches;
