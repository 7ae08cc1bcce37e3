-- Web app sessions. The cookie carries a random id; rows are found by its sha256.

-- name: insert_web_session
-- A new session for a live token (its hash); nothing when the token is unknown or revoked.
INSERT INTO web_sessions (id_hash, token_hash, csrf_token, expires_at)
SELECT $1, t.token_hash, $3, now() + make_interval(secs => $4::float8)
FROM api_tokens t WHERE t.token_hash = $2
RETURNING id_hash;

-- name: get_web_session
-- An unexpired session: the token hash to authenticate with and the form token.
SELECT token_hash, csrf_token, flash IS NOT NULL AS has_flash
FROM web_sessions WHERE id_hash = $1 AND expires_at > now();

-- name: set_web_flash
-- The message the next page shows once.
UPDATE web_sessions SET flash = $2 WHERE id_hash = $1;

-- name: take_web_flash
-- The pending message, cleared in the same statement so it shows only once.
WITH old AS (SELECT id_hash, flash FROM web_sessions WHERE id_hash = $1 FOR UPDATE)
UPDATE web_sessions w SET flash = NULL FROM old
WHERE w.id_hash = old.id_hash AND old.flash IS NOT NULL
RETURNING old.flash;

-- name: delete_web_session
-- Sign out.
DELETE FROM web_sessions WHERE id_hash = $1;

-- name: purge_web_sessions
-- Forget expired sessions (run at each sign-in; the expiry index keeps it cheap).
DELETE FROM web_sessions WHERE expires_at <= now();
