-- +goose Up
-- Authorization codes (授权码, 7.4.4 d 3, 4) the locker issued: the chain keeps
-- only the salt and SM3(salt ‖ code); here the asset's data key is kept sealed
-- under a key derived from the code itself (HMAC-SM3(salt, code)), so that
-- only a holder of the code can open the content and the platform cannot.
CREATE TABLE locker_auth_codes (
    id         text        PRIMARY KEY,  -- model.AuthCodeID
    asset      text        NOT NULL,
    owner      text        NOT NULL,
    salt       bytea       NOT NULL,
    sealed_key bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locker_auth_codes_asset ON locker_auth_codes (asset);

-- +goose Down
DROP TABLE locker_auth_codes;
