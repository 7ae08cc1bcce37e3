-- name: lock_bucket
-- A key's rate-limit mirror, locked until the transaction ends.
SELECT state FROM provider_rate_limits WHERE bucket = $1 FOR UPDATE;

-- name: database_now
-- The clock every worker reads, read once the lock is held (so successive holders see it
-- move forward).
SELECT extract(epoch FROM clock_timestamp())::float8;

-- name: save_bucket
INSERT INTO provider_rate_limits (bucket, state, updated_at)
VALUES ($1, $2, now())
ON CONFLICT (bucket) DO UPDATE SET state = excluded.state, updated_at = now();
