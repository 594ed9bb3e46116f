-- Event details as typed columns instead of free text the page had to parse back
-- ("admin_forced by:<admin id>"). Add-only; rows written before are converted in place, and
-- `detail` keeps its old text.
ALTER TABLE security_events ADD COLUMN reason TEXT;
ALTER TABLE security_events ADD COLUMN actor_id TEXT;
ALTER TABLE security_events ADD COLUMN role TEXT;

-- "<reason>", "<reason> by:<id>", or " by:<id>" when only the actor was recorded.
UPDATE security_events
SET reason = CASE
        WHEN strpos(detail, ' by:') > 0 THEN substr(detail, 1, strpos(detail, ' by:') - 1)
        ELSE detail
    END
WHERE kind = 'session_revoked' AND detail IS NOT NULL;

UPDATE security_events
SET actor_id = substr(detail, strpos(detail, ' by:') + 4)
WHERE detail IS NOT NULL AND strpos(detail, ' by:') > 0;

UPDATE security_events SET role = detail WHERE kind = 'role_changed' AND detail IN ('user', 'admin');
UPDATE security_events SET role = 'admin' WHERE kind = 'registered' AND detail = 'admin bootstrap';
