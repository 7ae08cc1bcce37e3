-- name: lock_event_log
-- One writer at a time: ids are taken and committed in the same order, so a reader that has
-- seen event N never later finds a smaller id (the SSE replay and fan-out depend on it).
SELECT pg_advisory_xact_lock(7712001);

-- name: tenant_of_run
SELECT account_id, project_id, stages FROM runs WHERE id = $1;

-- name: tenant_of_document
SELECT account_id, project_id, NULL::jsonb AS stages FROM documents WHERE id = $1;

-- name: tenant_of_export
SELECT r.account_id, r.project_id, NULL::jsonb AS stages
FROM exports e JOIN runs r ON r.id = e.run_id WHERE e.id = $1;

-- name: insert_event
-- A redelivered notification finds its row and inserts nothing.
INSERT INTO events (message_id, account_id, project_id, run_id, type, payload, caused_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (message_id) DO NOTHING
RETURNING id;

-- name: insert_deliveries
-- One delivery per enabled subscription of the project that follows this event type, written
-- with the event, before anything is sent.
INSERT INTO webhook_deliveries (id, subscription_id, event_id)
SELECT gen_random_uuid(), s.id, $1
FROM webhook_subscriptions s
WHERE s.project_id = $2 AND s.enabled AND $3 = ANY (s.event_types);

-- name: notify_event
-- Wakes every gateway's LISTEN (and this service's delivery loop) at commit.
SELECT pg_notify('strata_events', $1::text);

-- name: claim_due_deliveries
-- Due deliveries of enabled subscriptions, leased for a while so that another notify process
-- skips them while this one sends (a crash mid-send retries after the lease).
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
    JOIN webhook_subscriptions s ON s.id = d.subscription_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.enabled
    ORDER BY d.next_attempt_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = now() + make_interval(secs => $2)
FROM due, webhook_subscriptions s, events e
WHERE d.id = due.id AND s.id = d.subscription_id AND e.id = d.event_id
RETURNING d.id, d.subscription_id, d.attempt_count, d.created_at, s.account_id, s.url,
          s.secret_sealed, e.id AS event_id, e.type, e.payload, e.created_at AS event_at,
          e.run_id, e.project_id;

-- name: insert_attempt
INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4);

-- name: mark_delivered
UPDATE webhook_deliveries
SET status = 'delivered', attempt_count = attempt_count + 1, last_status_code = $2,
    last_error = NULL, delivered_at = now()
WHERE id = $1 AND status = 'pending';

-- name: mark_retry
-- next_attempt_at NULL: the retry window is over and the delivery fails.
UPDATE webhook_deliveries
SET status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
    attempt_count = attempt_count + 1, last_status_code = $2, last_error = $3,
    next_attempt_at = coalesce($4::timestamptz, next_attempt_at)
WHERE id = $1 AND status = 'pending';

-- name: subscription_succeeded
UPDATE webhook_subscriptions SET failing_since = NULL, updated_at = now()
WHERE id = $1 AND failing_since IS NOT NULL;

-- name: subscription_failed
-- Starts (or continues) the failing streak; answers when it started.
UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, now()),
    updated_at = now()
WHERE id = $1
RETURNING failing_since;

-- name: disable_subscription
UPDATE webhook_subscriptions SET enabled = false, disabled_reason = $2, updated_at = now()
WHERE id = $1 AND enabled;
