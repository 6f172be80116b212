-- +goose Up
-- Every change that can end a session or alter what its user may do is
-- announced on the channel kaiban_identity when its transaction commits, so
-- that the processes caching sessions and the access policy (package
-- identity, sessioncache.go) drop what changed: 'u:<user id>' for a user's
-- sessions, account or roles, 'p' for the role → permission policy. Triggers
-- rather than calls in the Go code, so that no code path — and no manual
-- UPDATE by an operator — can change these rows without the caches hearing it.
-- NOTIFY is transactional: nothing is sent for a rolled-back change, and
-- repeated payloads within one transaction are sent once.

-- +goose StatementBegin
CREATE FUNCTION identity_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
-- TG_ARGV[0] names the row's user ID column.
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('kaiban_identity', 'u:' || (to_jsonb(OLD) ->> TG_ARGV[0]));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('kaiban_identity', 'u:' || (to_jsonb(NEW) ->> TG_ARGV[0]));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION identity_notify_policy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kaiban_identity', 'p');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- A session's touch (last_seen_at, once a minute) is no change of rights.
CREATE TRIGGER identity_sessions_notify AFTER UPDATE OF token_hash, user_id, expires_at, revoked_at OR DELETE
    ON identity_sessions FOR EACH ROW EXECUTE FUNCTION identity_notify_user('user_id');
-- What a principal is made of: login, department, disabled, must-change;
-- a password change ends the sessions, which notifies through them as well.
CREATE TRIGGER identity_users_notify AFTER UPDATE OF login, department_code, disabled, must_change_password, password_hash OR DELETE
    ON identity_users FOR EACH ROW EXECUTE FUNCTION identity_notify_user('id');
CREATE TRIGGER identity_user_roles_notify AFTER INSERT OR UPDATE OR DELETE
    ON identity_user_roles FOR EACH ROW EXECUTE FUNCTION identity_notify_user('user_id');
CREATE TRIGGER identity_role_permissions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON identity_role_permissions FOR EACH STATEMENT EXECUTE FUNCTION identity_notify_policy();

-- +goose Down
DROP TRIGGER identity_role_permissions_notify ON identity_role_permissions;
DROP TRIGGER identity_user_roles_notify ON identity_user_roles;
DROP TRIGGER identity_users_notify ON identity_users;
DROP TRIGGER identity_sessions_notify ON identity_sessions;
DROP FUNCTION identity_notify_policy();
DROP FUNCTION identity_notify_user();
