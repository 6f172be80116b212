-- +goose Up
-- Who may use the locker's operations (x-kaiban-permission locker:*). The
-- window clerk opens lockers (A.5 a), an officer of the member that holds the
-- subject permission reviews them (A.5 b); departments and institutions issue
-- into lockers, review self-uploads, ask for access and read what they are
-- granted; applicants, the locker holders, read and manage their own lockers
-- (their unlock password is what opens any content or key).
INSERT INTO identity_roles (name, title, builtin) VALUES
    ('applicant', '数字保险箱持有人 Locker holder (applicant)', true)
ON CONFLICT DO NOTHING;
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('clerk', 'locker', 'open'),
    ('clerk', 'locker', 'read'),
    ('officer', 'locker', 'review'),
    ('officer', 'locker', 'read'),
    ('officer', 'locker', 'issue'),
    ('department-system', 'locker', 'read'),
    ('department-system', 'locker', 'write'),
    ('department-system', 'locker', 'issue'),
    ('applicant', 'locker', 'read'),
    ('applicant', 'locker', 'write'),
    ('regulator', 'locker', 'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource = 'locker';
DELETE FROM identity_role_permissions WHERE role = 'applicant';
DELETE FROM identity_roles WHERE name = 'applicant';
