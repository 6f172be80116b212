-- +goose Up
-- Who may use the regulator service (x-kaiban-permission regulator:*, 7.4.3 g):
-- the regulator reads the assets and transactions in its remit and inspects
-- an asset (recorded on chain); the system administrator configures remits.
-- Supervision's own permissions (supervision:read, supervision:intervene)
-- come with the built-in roles (00401).
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('regulator', 'regulator', 'read'),
    ('regulator', 'regulator', 'inspect'),
    ('sysadmin', 'regulator', 'read'),
    ('sysadmin', 'regulator.remits', 'write')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource IN ('regulator', 'regulator.remits');
