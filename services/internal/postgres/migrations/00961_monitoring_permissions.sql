-- +goose Up
-- Who may read chain monitoring (x-kaiban-permission monitoring:read, 7.4.3 f):
-- the system administrator who runs the platform, the supervisor and the
-- regulator.
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('sysadmin', 'monitoring', 'read'),
    ('supervisor', 'monitoring', 'read'),
    ('regulator', 'monitoring', 'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource = 'monitoring';
