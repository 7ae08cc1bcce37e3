-- name: lock_bucket
-- A key's rate-limit mirror, locked until the transaction ends, and the database clock (every
-- worker reads the same one).
SELECT state, extract(epoch FROM clock_timestamp())::float8 AS now
FROM provider_rate_limits
WHERE bucket = $1
FOR UPDATE;

-- name: database_now
SELECT extract(epoch FROM clock_timestamp())::float8;

-- name: save_bucket
INSERT INTO provider_rate_limits (bucket, state, updated_at)
VALUES ($1, $2, now())
ON CONFLICT (bucket) DO UPDATE SET state = excluded.state, updated_at = now();
