-- +goose Up
-- Supervision (DB37/T 4431-2021 7.6.6) and the regulator service (7.4.3 g).

-- Alerts raised by supervision: a ready step past its deadline undecided.
-- One alert per step, kind and deadline (an extension moves the deadline and
-- clears the chain's overdue mark, so running over again is a new alert); the
-- chain write that marks the step overdue is the outbox write under outbox_key.
CREATE TABLE supervision_alerts (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL,
    process     text        NOT NULL,
    step_key    text        NOT NULL,
    department  text        NOT NULL,
    deadline    timestamptz,
    detail      text        NOT NULL DEFAULT '',
    outbox_key  text        NOT NULL DEFAULT '',
    raised_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, process, step_key, deadline)
);
CREATE INDEX supervision_alerts_raised ON supervision_alerts (raised_at DESC);

-- Interventions requested through the API, before and after the chain has
-- them (ledger_interventions holds them once projected).
CREATE TABLE supervision_interventions (
    id             bigserial   PRIMARY KEY,
    process        text        NOT NULL,
    step_key       text        NOT NULL,
    action         text        NOT NULL,
    reason         text        NOT NULL,
    extend_seconds bigint      NOT NULL DEFAULT 0,
    new_department text        NOT NULL DEFAULT '',
    requested_by   text        NOT NULL,
    outbox_key     text        NOT NULL,
    requested_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervision_interventions_process ON supervision_interventions (process, step_key);

-- A regulator member's remit: the departments (issuers, process steps) and
-- asset types it regulates. A row with department '' and asset_type '' is
-- never stored; either may be empty.
CREATE TABLE regulator_remits (
    regulator  text        NOT NULL,
    department text        NOT NULL DEFAULT '',
    asset_type text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regulator, department, asset_type),
    CHECK (department <> '' OR asset_type <> '')
);

-- +goose Down
DROP TABLE regulator_remits;
DROP TABLE supervision_interventions;
DROP TABLE supervision_alerts;
