-- A record of each deleted account that outlives it. security_events rows go with the user
-- (ON DELETE CASCADE since 0001), so they cannot be that record; this table has no foreign key
-- and holds no personal data: the account's id, when, and which administrator (NULL: the
-- owner). It also lets a restarted instance keep refusing the deleted account's access tokens
-- until they expire. Add-only: a new table.
CREATE TABLE account_deletions (
    user_id        TEXT PRIMARY KEY,
    deleted_at     BIGINT NOT NULL,
    deleted_by     TEXT,
    ended_sessions BIGINT NOT NULL
);
CREATE INDEX account_deletions_by_deleted_at ON account_deletions (deleted_at);
