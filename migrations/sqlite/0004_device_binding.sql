-- Sessions bound to a key the browser holds (DPoP, RFC 9449), and where each session has been.
-- Add-only. Sessions that exist now stay unbound (dpop_jkt NULL) and keep working; their first
-- known address is the last one recorded.
ALTER TABLE sessions ADD COLUMN dpop_jkt TEXT;
ALTER TABLE sessions ADD COLUMN first_ip TEXT NOT NULL DEFAULT '';
UPDATE sessions SET first_ip = ip WHERE first_ip = '';

-- The distinct addresses a session was used from, newest kept (the engine bounds the count).
CREATE TABLE session_addresses (
    session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    ip            TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (session_id, ip)
);
INSERT INTO session_addresses (session_id, ip, first_seen_at, last_seen_at)
SELECT id, ip, last_active_at, last_active_at FROM sessions WHERE ip <> '';

-- Proof ids already accepted, per key, until they are too old to be accepted anyway. Kept in
-- the database so every instance refuses a replay, in the same transaction as the rotation.
CREATE TABLE dpop_proofs (
    jkt        TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (jkt, jti)
);
CREATE INDEX dpop_proofs_by_expiry ON dpop_proofs (expires_at);
