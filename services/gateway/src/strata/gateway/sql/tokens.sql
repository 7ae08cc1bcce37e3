-- API tokens and the per-account request counter. Every statement on tokens filters by the
-- caller's account_id.

-- name: authenticate
-- The account behind a live token (not revoked, not expired); records the token's last use at
-- most once a minute, so a busy token does not write on every request.
WITH live AS (
    SELECT t.id, t.account_id FROM api_tokens t
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > now())
), touched AS (
    UPDATE api_tokens SET last_used_at = now()
    WHERE id = (SELECT id FROM live)
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT a.id, a.name, a.is_superuser, live.id AS token_id
FROM live JOIN accounts a ON a.id = live.account_id;

-- name: count_request
-- One more request in the account's current window of $2 seconds (a new window starts at 1).
INSERT INTO rate_limits AS r (account_id, window_start, requests)
VALUES ($1, to_timestamp(floor(extract(epoch FROM now())::float8 / $2::float8) * $2::float8), 1)
ON CONFLICT (account_id) DO UPDATE SET
    requests = CASE WHEN r.window_start = EXCLUDED.window_start THEN r.requests + 1 ELSE 1 END,
    window_start = EXCLUDED.window_start
RETURNING requests,
    extract(epoch FROM (r.window_start + make_interval(secs => $2::float8) - now()))::float8
    AS seconds_left;

-- name: insert_named_token
-- A token the account made itself (name and expiry optional).
INSERT INTO api_tokens (id, account_id, token_hash, hint, name, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, name, hint, created_at, expires_at, last_used_at, revoked_at;

-- name: count_live_tokens
-- How many usable tokens the account holds.
SELECT count(*) FROM api_tokens
WHERE account_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now());

-- name: list_tokens
-- A page of the account's tokens (revoked and expired included), newest first.
SELECT id, name, hint, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
WHERE account_id = $1
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: revoke_token
-- Revoke one of the account's tokens (revoking twice keeps the first time).
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1 AND account_id = $2
RETURNING id;

-- name: revoke_token_by_id
-- The operator revokes any token (admin CLI).
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING id, account_id;

-- name: list_accounts
-- Every account with its live token count (admin CLI).
SELECT a.id, a.name, a.is_superuser, a.created_at,
       (SELECT count(*) FROM api_tokens t WHERE t.account_id = a.id AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > now())) AS live_tokens
FROM accounts a ORDER BY a.created_at, a.id;

-- name: account_tokens
-- Every token of one account (admin CLI).
SELECT id, name, hint, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
WHERE account_id = $1 ORDER BY created_at, id;

-- name: lock_active_runs
-- Serialise run creations of one account until the transaction ends (a statement of its own:
-- the count that follows must take its snapshot after the lock is held).
SELECT pg_advisory_xact_lock(hashtext('active-runs:' || $1::text));

-- name: count_active_runs
-- The account's runs that may still call the model.
SELECT count(*) FROM runs WHERE account_id = $1 AND status IN ('planning', 'pending', 'running');
