-- name: account_keys
-- An account's provider keys in order of preference: usable before invalid, validated before
-- unvalidated, Anthropic (implemented) before OpenAI-compatible, newest first.
SELECT id, provider, base_url, secret_sealed, master_key_id, status
FROM provider_keys
WHERE account_id = $1
ORDER BY (status = 'invalid'), (status = 'valid') DESC, (provider = 'anthropic') DESC,
         created_at DESC, id;

-- name: mark_key_rejected
-- The provider answered 401/403 to this key during a run.
UPDATE provider_keys
SET status = 'invalid',
    status_message = 'rejected by the provider (HTTP 401/403) during a run',
    validated_at = now(), updated_at = now()
WHERE id = $1 AND status <> 'invalid'
RETURNING account_id;
