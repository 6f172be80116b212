-- +goose Up
-- Who holds a locker (7.6.2: the locker is its holder's). A person becomes a
-- holder by proving the locker's unlock password once (locker.Service.Bind);
-- a caller whose roles read lockers only as their holders (the applicant)
-- reads a locker, its assets' metadata, access records and requests only
-- once bound. The roles that act for the platform or the departments read
-- any locker (locker:read-any), as before.
CREATE TABLE locker_holders (
    user_id   uuid        NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    locker_id text        NOT NULL REFERENCES locker_lockers (id) ON DELETE CASCADE,
    bound_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, locker_id)
);
CREATE INDEX locker_holders_locker ON locker_holders (locker_id);

INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('clerk', 'locker', 'read-any'),
    ('officer', 'locker', 'read-any'),
    ('department-system', 'locker', 'read-any'),
    ('regulator', 'locker', 'read-any')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource = 'locker' AND action = 'read-any';
DROP TABLE locker_holders;
