-- User provider keys. Every statement filters by the caller's account_id. The sealed secret is
-- read only by get_key_secret (to validate it); the public columns never include it.

-- name: insert_key
-- A new sealed key.
INSERT INTO provider_keys
    (id, account_id, provider, label, base_url, hint, secret_sealed, master_key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id, provider, label, base_url, hint, status, status_message, validated_at, created_at;

-- name: lock_account_keys
-- Serialise adds per account (until the transaction ends) so the cap holds under concurrency.
SELECT pg_advisory_xact_lock(hashtext($1::text));

-- name: count_keys
-- How many keys the account holds.
SELECT count(*) FROM provider_keys WHERE account_id = $1;

-- name: list_keys
-- A page of the account's keys, newest first, after a (created_at, id) cursor.
SELECT id, provider, label, base_url, hint, status, status_message, validated_at, created_at
FROM provider_keys
WHERE account_id = $1
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: get_key
-- One of the account's keys.
SELECT id, provider, label, base_url, hint, status, status_message, validated_at, created_at
FROM provider_keys WHERE id = $1 AND account_id = $2;

-- name: get_key_secret
-- What validating a key needs, sealed.
SELECT id, provider, base_url, secret_sealed, master_key_id
FROM provider_keys WHERE id = $1 AND account_id = $2;

-- name: delete_key
-- Forget a key.
DELETE FROM provider_keys WHERE id = $1 AND account_id = $2 RETURNING id;

-- name: mark_key
-- The outcome of a validation.
UPDATE provider_keys
SET status = $3, status_message = $4, validated_at = now(), updated_at = now()
WHERE id = $1 AND account_id = $2
RETURNING id, provider, label, base_url, hint, status, status_message, validated_at, created_at;
