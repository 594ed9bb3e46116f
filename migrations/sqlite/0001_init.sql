-- Times are unix seconds (INTEGER). Ids are UUIDv7 text. Secrets are stored only as digests.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    last_active_at      INTEGER NOT NULL,
    idle_expires_at     INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    user_agent          TEXT NOT NULL,
    device              TEXT NOT NULL,
    ip                  TEXT NOT NULL,
    revoked_at          INTEGER,
    revoke_reason       TEXT,
    revoked_by          TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash       BLOB NOT NULL UNIQUE,
    parent_id        TEXT,
    created_at       INTEGER NOT NULL,
    used_at          INTEGER,
    successor_sealed BLOB
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
-- The grace-window check looks a token's successor up by its parent.
CREATE INDEX refresh_tokens_by_parent ON refresh_tokens (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_der   BLOB NOT NULL,
    public_x      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    sign_until    INTEGER NOT NULL,
    publish_until INTEGER NOT NULL
);

CREATE TABLE security_events (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    ip         TEXT,
    device     TEXT,
    session_id TEXT,
    detail     TEXT
);
CREATE INDEX security_events_by_user ON security_events (user_id, at);
