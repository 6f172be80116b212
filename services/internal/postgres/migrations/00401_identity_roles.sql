-- +goose Up
-- Built-in roles and their permissions (resource, action). The three
-- administrator roles divide the platform's administration as GB/T 22239
-- asks (系统管理员 / 安全管理员 / 审计管理员): none of them can read the audit
-- log but the auditor, none of them can grant roles but the security
-- administrator, and no user may hold two of them (trigger in 00400).
-- The business roles carry the permissions the services' routes require
-- (catalogue in docs/security.md); the security administrator may change them.
INSERT INTO identity_roles (name, title, builtin, admin_kind) VALUES
    ('sysadmin',      '系统管理员 System administrator',   true, 'system'),
    ('secadmin',      '安全管理员 Security administrator', true, 'security'),
    ('auditadmin',    '审计管理员 Audit administrator',    true, 'audit');
INSERT INTO identity_roles (name, title, builtin) VALUES
    ('clerk',             '综合受理窗口 Acceptance clerk',          true),
    ('officer',           '部门审批人员 Department officer',        true),
    ('supervisor',        '业务流程监管 Process supervisor',        true),
    ('regulator',         '监管机构 Regulator',                    true),
    ('department-system', '部门业务办理系统 Department system',      true);

INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('sysadmin', 'identity.departments', 'read'),
    ('sysadmin', 'identity.departments', 'write'),
    ('sysadmin', 'identity.positions', 'read'),
    ('sysadmin', 'identity.positions', 'write'),
    ('sysadmin', 'identity.users', 'read'),
    ('sysadmin', 'identity.users', 'write'),
    ('sysadmin', 'identity.users', 'reset-password'),
    ('sysadmin', 'identity.roles', 'read'),
    ('sysadmin', 'identity.clients', 'read'),
    ('sysadmin', 'identity.clients', 'apply'),
    ('sysadmin', 'identity.clients', 'issue'),
    ('sysadmin', 'platform', 'read'),
    ('sysadmin', 'platform', 'write'),

    ('secadmin', 'identity.departments', 'read'),
    ('secadmin', 'identity.positions', 'read'),
    ('secadmin', 'identity.users', 'read'),
    ('secadmin', 'identity.users', 'unlock'),
    ('secadmin', 'identity.users', 'reset-totp'),
    ('secadmin', 'identity.roles', 'read'),
    ('secadmin', 'identity.roles', 'write'),
    ('secadmin', 'identity.role-assignments', 'write'),
    ('secadmin', 'identity.sessions', 'revoke'),
    ('secadmin', 'identity.clients', 'read'),
    ('secadmin', 'identity.clients', 'review'),
    ('secadmin', 'identity.clients', 'revoke'),
    ('secadmin', 'keys', 'admin'),

    ('auditadmin', 'audit.log', 'read'),
    ('auditadmin', 'audit.log', 'verify'),
    ('auditadmin', 'audit.anchors', 'read'),

    ('clerk', 'intake', 'read'),
    ('clerk', 'intake', 'write'),
    ('clerk', 'subjects', 'read'),
    ('clerk', 'subjects', 'write'),
    ('clerk', 'process', 'read'),
    ('clerk', 'assets', 'read'),
    ('clerk', 'messages', 'write'),
    ('officer', 'tasks', 'read'),
    ('officer', 'approval', 'read'),
    ('officer', 'approval', 'write'),
    ('officer', 'assets', 'read'),
    ('officer', 'assets', 'issue'),
    ('officer', 'process', 'read'),
    ('supervisor', 'supervision', 'read'),
    ('supervisor', 'supervision', 'intervene'),
    ('supervisor', 'process', 'read'),
    ('regulator', 'supervision', 'read'),
    ('regulator', 'assets', 'read'),
    ('regulator', 'ledger', 'read'),
    ('department-system', 'tasks', 'read'),
    ('department-system', 'approval', 'read'),
    ('department-system', 'approval', 'write'),
    ('department-system', 'assets', 'read'),
    ('department-system', 'assets', 'issue'),
    ('department-system', 'process', 'read');

-- +goose Down
DELETE FROM identity_role_permissions WHERE role IN (SELECT name FROM identity_roles WHERE builtin);
DELETE FROM identity_roles WHERE builtin;
