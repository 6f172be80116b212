-- +goose Up
-- GetUser is answered from the identity cache (package identity, cache.go),
-- so every change of what it answers must reach the cache as migration
-- 00402's changes do: the name, TOTP and lockout of a user, and the user's
-- positions. The WHEN clause keeps a login's routine reset of the lockout
-- (locked_until set to NULL again) from dropping the user's cached sessions.
CREATE TRIGGER identity_users_record_notify AFTER UPDATE OF name_sealed, totp_enabled, locked_until
    ON identity_users FOR EACH ROW
    WHEN (OLD.name_sealed IS DISTINCT FROM NEW.name_sealed
       OR OLD.totp_enabled IS DISTINCT FROM NEW.totp_enabled
       OR OLD.locked_until IS DISTINCT FROM NEW.locked_until)
    EXECUTE FUNCTION identity_notify_user('id');
CREATE TRIGGER identity_user_positions_notify AFTER INSERT OR UPDATE OR DELETE
    ON identity_user_positions FOR EACH ROW EXECUTE FUNCTION identity_notify_user('user_id');

-- +goose Down
DROP TRIGGER identity_user_positions_notify ON identity_user_positions;
DROP TRIGGER identity_users_record_notify ON identity_users;
