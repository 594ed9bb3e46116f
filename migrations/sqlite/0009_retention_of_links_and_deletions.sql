-- The retention sweep deletes expired reset links and old deletion records a batch at a time;
-- each delete finds its rows through an index. Add-only: new indexes.
CREATE INDEX password_reset_links_by_expiry ON password_reset_links (expires_at);
