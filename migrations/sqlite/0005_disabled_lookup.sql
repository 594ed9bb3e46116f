-- The revocation feed reads "disabled since t" at start-up, after every reconnect and (SQLite)
-- every second; sessions already have the matching index (sessions_by_revoked_at). Add-only.
CREATE INDEX users_by_disabled_at ON users (disabled_at) WHERE disabled_at IS NOT NULL;
