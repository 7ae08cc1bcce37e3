-- name: insert_webhook
INSERT INTO webhook_subscriptions
    (id, account_id, project_id, url, event_types, secret_sealed, master_key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, project_id, url, event_types, enabled, disabled_reason, failing_since,
          created_at, updated_at;

-- name: count_project_webhooks
SELECT count(*) FROM webhook_subscriptions WHERE project_id = $1;

-- name: list_webhooks
SELECT id, project_id, url, event_types, enabled, disabled_reason, failing_since, created_at,
       updated_at
FROM webhook_subscriptions WHERE project_id = $1 AND account_id = $2 ORDER BY created_at, id;

-- name: get_webhook
SELECT id, project_id, url, event_types, enabled, disabled_reason, failing_since, created_at,
       updated_at
FROM webhook_subscriptions WHERE id = $1 AND account_id = $2;

-- name: update_webhook
-- NULL leaves a field as it is; enabling again clears the reason and the failing streak.
UPDATE webhook_subscriptions SET
    url = coalesce($3, url),
    event_types = coalesce($4, event_types),
    enabled = coalesce($5, enabled),
    disabled_reason = CASE WHEN $5 IS TRUE THEN NULL
                           WHEN $5 IS FALSE THEN 'disabled by the user'
                           ELSE disabled_reason END,
    failing_since = CASE WHEN $5 IS TRUE THEN NULL ELSE failing_since END,
    updated_at = now()
WHERE id = $1 AND account_id = $2
RETURNING id, project_id, url, event_types, enabled, disabled_reason, failing_since,
          created_at, updated_at;

-- name: delete_webhook
DELETE FROM webhook_subscriptions WHERE id = $1 AND account_id = $2 RETURNING id;

-- name: list_deliveries
-- A subscription's deliveries, newest first, each with its attempts (oldest first).
SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempt_count, d.next_attempt_at,
       d.last_status_code, d.last_error, d.created_at, d.delivered_at,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'attempted_at', a.attempted_at, 'status_code', a.status_code,
                      'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.id)
           FROM webhook_attempts a WHERE a.delivery_id = d.id
       ), '[]'::jsonb) AS attempts
FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
WHERE d.subscription_id = $1
  AND ($2::text IS NULL OR d.status = $2)
  AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3, $4::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT $5;

-- name: redeliver
-- Send a delivery again now (whatever its state), under the same webhook-id.
-- A delivery past its retry window gets this one attempt; within it, the usual retries.
UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now()
FROM webhook_subscriptions s
WHERE d.id = $1 AND d.subscription_id = $2 AND s.id = d.subscription_id AND s.account_id = $3
RETURNING d.id;
