-- +goose Up
-- Who may use the message operations (x-kaiban-permission messages:*): every
-- working role reads its own mailbox and sends; reading or sending as
-- another mailbox (messages.mailboxes) is the window clerk's, who acts for
-- applicants at the counter.
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('clerk', 'messages', 'read'),
    ('clerk', 'messages.mailboxes', 'read'),
    ('clerk', 'messages.mailboxes', 'write'),
    ('officer', 'messages', 'read'),
    ('officer', 'messages', 'write'),
    ('supervisor', 'messages', 'read'),
    ('supervisor', 'messages', 'write'),
    ('regulator', 'messages', 'read'),
    ('regulator', 'messages', 'write'),
    ('department-system', 'messages', 'read'),
    ('department-system', 'messages', 'write'),
    ('applicant', 'messages', 'read'),
    ('applicant', 'messages', 'write')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource IN ('messages', 'messages.mailboxes') AND NOT (role = 'clerk' AND resource = 'messages' AND action = 'write');
