-- Indexes for the retention sweep (src/auth/retention.rs), which deletes in small batches and
-- must find each batch without reading whole tables. Add-only: nothing is converted or deleted
-- here; the first sweep after the upgrade removes what is already past its retention.

-- Rotated refresh tokens past the reuse-detection window. The live token of a session has no
-- used_at, so it is never in this index.
CREATE INDEX refresh_tokens_by_used_at ON refresh_tokens (used_at) WHERE used_at IS NOT NULL;

-- Sessions that ended: revoked (sessions_by_revoked_at already exists), idle-expired or past
-- their absolute expiry. Each term of the sweep's OR has its own index.
CREATE INDEX sessions_by_idle_expiry ON sessions (idle_expires_at);
CREATE INDEX sessions_by_absolute_expiry ON sessions (absolute_expires_at);

-- Security events past their retention, across all users (security_events_by_user leads with
-- the user).
CREATE INDEX security_events_by_at ON security_events (at);
