-- +goose Up
-- Kaiban's first migration marks the schema as Kaiban's. Tables come with the
-- domains that own them (see the numbering in package postgres).
COMMENT ON SCHEMA public IS 'Kaiban (DB37/T 4431-2021) platform data';

-- +goose Down
COMMENT ON SCHEMA public IS NULL;
