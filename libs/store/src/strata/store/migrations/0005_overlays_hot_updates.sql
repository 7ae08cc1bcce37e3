-- Claims and settles rewrite every overlay twice. With no index on the columns they change
-- (status, claim_expires_at, claimed_by) and room left on each page, Postgres makes those
-- updates HOT: no index entry is written at all. The lease reaper no longer needs its index on
-- claim_expires_at: it reads the claims of active runs through the primary key.
DROP INDEX overlays_claim_expiry_idx;
ALTER TABLE overlays SET (fillfactor = 70);
-- Runs that may still move (the sweep's and the reaper's starting point).
CREATE INDEX runs_active_idx ON runs (created_at) WHERE status IN ('pending', 'running');
