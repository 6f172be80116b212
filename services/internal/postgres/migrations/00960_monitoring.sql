-- +goose Up
-- Monitoring alerts (DB37/T 4431-2021 7.4.3 f 5, 信息预警): raised by the
-- rule evaluation job, one open alert per rule and subject (a node, an
-- accessor, the outbox) until the condition clears and it is resolved.
CREATE TABLE monitoring_alerts (
    id          bigserial   PRIMARY KEY,
    rule        text        NOT NULL,
    subject     text        NOT NULL,
    detail      text        NOT NULL,
    value       double precision NOT NULL DEFAULT 0,
    threshold   double precision NOT NULL DEFAULT 0,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE UNIQUE INDEX monitoring_alerts_open ON monitoring_alerts (rule, subject) WHERE resolved_at IS NULL;
CREATE INDEX monitoring_alerts_raised ON monitoring_alerts (raised_at DESC);

-- +goose Down
DROP TABLE monitoring_alerts;
