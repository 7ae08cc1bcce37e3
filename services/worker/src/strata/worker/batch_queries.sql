-- Deferred runs: packs queued as Message Batch requests, batches and their leases.

-- name: queue_pack
-- Claim a deferred pack's pending overlays for request $3 (claimed_by 'batch:<id>', a lease
-- longer than any batch lives) and queue the request, only if something was claimed.
WITH picked AS (
    SELECT o.document_id, o.block_index
    FROM overlays o
    WHERE o.run_id = $1 AND o.pack_id = $2 AND o.status = 'pending'
      AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND status IN ('pending', 'running'))
    FOR UPDATE OF o SKIP LOCKED
), claimed AS (
    UPDATE overlays o
    SET status = 'claimed', claimed_by = 'batch:' || $3::uuid::text,
        claim_expires_at = now() + make_interval(secs => $4), updated_at = now()
    FROM picked p
    WHERE o.run_id = $1 AND o.pack_id = $2
      AND o.document_id = p.document_id AND o.block_index = p.block_index
    RETURNING 1
), queued AS (
    INSERT INTO batch_requests (id, run_id, pack_id, split_depth)
    SELECT $3::uuid, $1, $2, $5 WHERE EXISTS (SELECT 1 FROM claimed)
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed) AS claimed, (SELECT count(*) FROM queued) AS queued;

-- name: oldest_queued_run
-- The live run whose queued request waited longest, once it waited at least $1 seconds.
SELECT q.run_id FROM batch_requests q JOIN runs r ON r.id = q.run_id
WHERE q.state = 'queued' AND r.status IN ('pending', 'running')
  AND q.queued_at <= now() - make_interval(secs => $1)
ORDER BY q.queued_at LIMIT 1;

-- name: insert_batch
INSERT INTO provider_batches (id, run_id, request_count, lease_owner, lease_expires_at)
VALUES ($1, $2, 0, $3, now() + make_interval(secs => $4));

-- name: take_run_queued
-- Up to $3 of the run's queued requests go into batch $2 (rows another worker is taking are
-- skipped, never waited for).
WITH picked AS (
    SELECT id FROM batch_requests
    WHERE run_id = $1 AND state = 'queued'
    ORDER BY queued_at, id LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE batch_requests q SET state = 'submitted', batch_id = $2
FROM picked p WHERE q.id = p.id
RETURNING q.id, q.run_id, q.pack_id, q.split_depth, q.reserved_usd;

-- name: set_request_count
UPDATE provider_batches SET request_count = $2 WHERE id = $1;

-- name: delete_batch
DELETE FROM provider_batches WHERE id = $1;

-- name: drop_dead_queued
UPDATE batch_requests q SET state = 'dropped', settled_at = now()
FROM runs r
WHERE r.id = q.run_id AND q.state = 'queued' AND r.status NOT IN ('pending', 'running');

-- name: claimed_blocks
-- The blocks a request still holds, in the order the prompt lists them.
SELECT o.document_id, o.block_index, o.attempt_count, b.text, d.trace_context
FROM overlays o JOIN blocks b USING (document_id, block_index)
JOIN documents d ON d.id = o.document_id
WHERE o.run_id = $1 AND o.status = 'claimed' AND o.claimed_by = $2
ORDER BY o.document_id, o.block_index;

-- name: request_run
SELECT run_id FROM batch_requests WHERE id = $1;

-- name: set_reserved
UPDATE batch_requests SET reserved_usd = $2 WHERE id = $1;

-- name: requeue
-- Back to the queue, out of their batch; returns what each had reserved, to release it.
WITH old AS (
    SELECT id, reserved_usd FROM batch_requests
    WHERE id = ANY($1::uuid[]) AND state = 'submitted'
    FOR UPDATE
)
UPDATE batch_requests q SET state = 'queued', batch_id = NULL, queued_at = now(),
    reserved_usd = NULL
FROM old WHERE q.id = old.id
RETURNING q.run_id, old.reserved_usd;

-- name: release_budget
UPDATE run_budgets SET reserved_usd = GREATEST(reserved_usd - $2, 0) WHERE run_id = $1;

-- name: drop_request
UPDATE batch_requests SET state = 'dropped', settled_at = now() WHERE id = $1;

-- name: mark_submitted
UPDATE provider_batches SET state = 'in_progress', provider_batch_id = $2, submitted_at = now(),
    next_poll_at = now() + make_interval(secs => $3), lease_owner = NULL, lease_expires_at = NULL
WHERE id = $1;

-- name: take_due
-- A batch due for a poll whose lease is free (or ran out: its worker died), leased to $1.
WITH due AS (
    SELECT id FROM provider_batches
    WHERE state IN ('submitting', 'in_progress')
      AND (state = 'submitting' OR next_poll_at <= now())
      AND (lease_expires_at IS NULL OR lease_expires_at < now())
    ORDER BY next_poll_at LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE provider_batches b SET lease_owner = $1,
    lease_expires_at = now() + make_interval(secs => $2)
FROM due WHERE b.id = due.id
RETURNING b.id, b.run_id, b.state, b.provider_batch_id, b.cancel_requested,
    (SELECT r.account_id FROM runs r WHERE r.id = b.run_id) AS account_id,
    (SELECT r.status IN ('pending', 'running') FROM runs r WHERE r.id = b.run_id) AS run_live;

-- name: batch_requests_open
SELECT id, run_id, pack_id, split_depth, reserved_usd FROM batch_requests
WHERE batch_id = $1 AND state = 'submitted' ORDER BY id;

-- name: run_account
SELECT account_id FROM runs WHERE id = $1;

-- name: mark_cancel_requested
UPDATE provider_batches SET cancel_requested = true WHERE id = $1;

-- name: reschedule
UPDATE provider_batches SET next_poll_at = now() + make_interval(secs => $2),
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = $1;

-- name: lock_submitted_request
SELECT run_id FROM batch_requests WHERE id = $1 AND state = 'submitted' FOR UPDATE;

-- name: mark_request_settled
UPDATE batch_requests SET state = 'settled', settled_at = now() WHERE id = $1;

-- name: end_batch
UPDATE provider_batches SET state = 'ended', ended_at = now(), lease_owner = NULL,
    lease_expires_at = NULL
WHERE id = $1;
