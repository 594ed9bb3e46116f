-- Security hardening, safe on a database that already holds users, sessions and keys.

-- Private signing keys sealed under a key-encryption key kept outside the database. The server
-- seals the existing plain keys at start (SQL cannot: it never sees the key) and then empties
-- private_der; the column stays so this migration never rewrites the table.
ALTER TABLE signing_keys ADD COLUMN private_sealed BYTEA;

-- Who consumed a refresh token, so a grace-window replay is served only to that client, and
-- how many replays were served.
ALTER TABLE refresh_tokens ADD COLUMN consumer_fingerprint BYTEA;
ALTER TABLE refresh_tokens ADD COLUMN grace_replays BIGINT NOT NULL DEFAULT 0;

-- Maintenance clears sealed successors once their grace window has passed.
CREATE INDEX refresh_tokens_sealed_by_used_at ON refresh_tokens (used_at)
    WHERE successor_sealed IS NOT NULL;
