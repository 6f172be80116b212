-- +goose Up
-- Key service (7.4.3 b, c, d; services/internal/keys, docs/keys.md).

-- One row per SM2 key pair in custody. The private key and the owner's
-- symmetric account key are sealed with SM4-GCM under a key derived from the
-- owner's unlock password (kdf_* columns, stored so that the cost can be
-- raised later); nothing here is readable without that password.
CREATE TABLE keys (
	key_id          text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{32}$'),
	owner_kind      text NOT NULL CHECK (owner_kind IN ('subject', 'department')),
	owner_id        text NOT NULL,
	version         integer NOT NULL CHECK (version >= 1),
	status          text NOT NULL CHECK (status IN ('active', 'retired')),
	public_key_pem  text NOT NULL,
	fingerprint     text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
	kdf_algorithm   text NOT NULL,
	kdf_iterations  integer NOT NULL CHECK (kdf_iterations > 0),
	kdf_salt        bytea NOT NULL CHECK (octet_length(kdf_salt) = 16),
	wrapped_private bytea NOT NULL,
	-- custody_rev counts re-seals; every re-seal is conditional on it, so two
	-- concurrent password changes cannot leave an owner's keys under two
	-- different passwords.
	custody_rev     bigint NOT NULL DEFAULT 1,
	created_at      timestamptz NOT NULL,
	retired_at      timestamptz,
	UNIQUE (owner_kind, owner_id, version),
	CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE UNIQUE INDEX keys_one_active ON keys (owner_kind, owner_id) WHERE status = 'active';

-- A k-of-n backup of all of an owner's keys. Only the newest is current; a
-- new split supersedes it and its shares are deleted.
CREATE TABLE key_backups (
	backup_id  text PRIMARY KEY,
	owner_kind text NOT NULL,
	owner_id   text NOT NULL,
	threshold  smallint NOT NULL CHECK (threshold >= 2),
	share_count smallint NOT NULL CHECK (share_count >= threshold AND share_count <= 255),
	key_ids    text[] NOT NULL,
	current    boolean NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX key_backups_one_current ON key_backups (owner_kind, owner_id) WHERE current;

-- One share per holding department, SM2-encrypted to that department's key.
-- digest is SM3 over the backup ID and the plain share, which lets a
-- submitted share be checked alone; a single share is uniformly random, so
-- the digest reveals nothing of the secret.
CREATE TABLE key_shares (
	backup_id     text NOT NULL REFERENCES key_backups ON DELETE CASCADE,
	share_index   smallint NOT NULL CHECK (share_index BETWEEN 1 AND 255),
	holder_id     text NOT NULL,
	holder_key_id text NOT NULL REFERENCES keys (key_id),
	ciphertext    bytea NOT NULL,
	digest        text NOT NULL,
	PRIMARY KEY (backup_id, share_index),
	UNIQUE (backup_id, holder_id)
);
CREATE INDEX key_shares_holder ON key_shares (holder_id);

-- A recovery collects shares for a backup. Its SM2 session key is sealed
-- under the new password, so only whoever opened the recovery can complete
-- it; submitted shares are stored encrypted to the session key.
CREATE TABLE key_recoveries (
	recovery_id     text PRIMARY KEY,
	backup_id       text NOT NULL REFERENCES key_backups ON DELETE CASCADE,
	owner_kind      text NOT NULL,
	owner_id        text NOT NULL,
	status          text NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
	session_public  text NOT NULL,
	kdf_algorithm   text NOT NULL,
	kdf_iterations  integer NOT NULL CHECK (kdf_iterations > 0),
	kdf_salt        bytea NOT NULL CHECK (octet_length(kdf_salt) = 16),
	session_private bytea NOT NULL,
	created_at      timestamptz NOT NULL,
	expires_at      timestamptz NOT NULL,
	closed_at       timestamptz
);
CREATE UNIQUE INDEX key_recoveries_one_open ON key_recoveries (owner_kind, owner_id) WHERE status = 'open';

CREATE TABLE key_recovery_shares (
	recovery_id  text NOT NULL REFERENCES key_recoveries ON DELETE CASCADE,
	share_index  smallint NOT NULL,
	holder_id    text NOT NULL,
	ciphertext   bytea NOT NULL,
	submitted_at timestamptz NOT NULL,
	PRIMARY KEY (recovery_id, share_index)
);

-- Wrong-password counters, one per principal ("subject:<id>",
-- "department:<id>", "recovery:<id>").
CREATE TABLE key_unlock_attempts (
	principal    text PRIMARY KEY,
	failures     integer NOT NULL,
	locked_until timestamptz,
	updated_at   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE key_unlock_attempts;
DROP TABLE key_recovery_shares;
DROP TABLE key_recoveries;
DROP TABLE key_shares;
DROP TABLE key_backups;
DROP TABLE keys;
