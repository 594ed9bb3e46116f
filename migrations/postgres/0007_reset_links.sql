-- One-time password reset links an administrator hands out. Only the SHA-256 digest of the
-- link's token is stored, so a database dump opens no account. Add-only: a new table.
CREATE TABLE password_reset_links (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    -- The administrator who issued it; NULL when the operator's CLI did. Not a foreign key:
    -- deleting that administrator must not take the record of who issued links with it.
    created_by TEXT
);
-- Issuing a link voids the account's earlier unused ones.
CREATE INDEX password_reset_links_by_user ON password_reset_links (user_id);
