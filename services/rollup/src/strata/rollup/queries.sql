-- name: lock_run
-- Serialise recomputes of one run so a stale count never overwrites a fresher one.
-- NO KEY UPDATE: recomputes exclude each other, but claims (KEY SHARE) never wait on them.
SELECT status FROM runs WHERE id = $1 FOR NO KEY UPDATE;

-- name: tallied_counts
-- The run's counters from `run_tallies` (kept by a trigger on every overlay write): a handful
-- of rows, however many overlays the run has.
SELECT coalesce(sum(overlays), 0)::bigint AS total, coalesce(sum(completed), 0)::bigint AS completed,
       coalesce(sum(failed), 0)::bigint AS failed, coalesce(sum(pending), 0)::bigint AS pending,
       coalesce(sum(claimed), 0)::bigint AS claimed, coalesce(sum(reviewed), 0)::bigint AS reviewed,
       coalesce(sum(confirmed), 0)::bigint AS confirmed, coalesce(sum(edited), 0)::bigint AS edited,
       coalesce(sum(rejected), 0)::bigint AS rejected, coalesce(sum(flagged), 0)::bigint AS flagged
FROM run_tallies WHERE run_id = $1;

-- name: count_overlays
-- The run's counters from overlay truth, with why its pending blocks wait: a scan of every
-- overlay of the run, so only when the run may complete or has nothing in flight.
SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'ai_complete') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'claimed') AS claimed,
       count(*) FILTER (WHERE review_status <> 'unreviewed') AS reviewed,
       count(*) FILTER (WHERE review_status = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE review_status = 'edited') AS edited,
       count(*) FILTER (WHERE review_status = 'rejected') AS rejected,
       count(*) FILTER (WHERE flags <> '{}') AS flagged,
       count(*) FILTER (WHERE status = 'pending' AND last_error_code = 'no_api_key') AS no_key,
       count(*) FILTER (WHERE status = 'pending' AND last_error_code = 'invalid_api_key')
           AS bad_key,
       count(*) FILTER (WHERE status = 'pending' AND last_error_code = 'budget_exhausted')
           AS no_budget,
       count(*) FILTER (WHERE pack_id IS NOT NULL) AS planned_blocks,
       count(DISTINCT pack_id) AS packs
FROM overlays WHERE run_id = $1;

-- name: drop_tallies
-- The tallies disagreed with COUNT(*) on a quiet run (nothing pending or claimed): COUNT(*) wins.
DELETE FROM run_tallies WHERE run_id = $1;

-- name: repair_tallies
-- ... and takes their place (after drop_tallies, in the same transaction).
INSERT INTO run_tallies (run_id, shard, overlays, pending, claimed, completed, failed, reviewed,
                         confirmed, edited, rejected, flagged)
VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: unpacked_count
-- Overlays of the run in no pack (the partial index on unpacked overlays: small).
SELECT count(*) FROM overlays WHERE run_id = $1 AND pack_id IS NULL;

-- name: recompute_run
-- Counters ($2 total, $3 completed, $4 failed, $5 pending, $6 claimed; $7 no_key, $8 bad_key,
-- $9 no_budget: pending blocks waiting for a key or a budget) and the status they imply.
WITH c AS (
    SELECT $2::bigint AS total, $3::bigint AS completed, $4::bigint AS failed,
           $5::bigint AS pending, $6::bigint AS claimed, $7::bigint AS no_key,
           $8::bigint AS bad_key, $9::bigint AS no_budget
), next AS (
    SELECT r.id, r.status AS old_status, r.status_reason AS old_reason,
           CASE WHEN r.status IN ('pending', 'running')
                THEN CASE WHEN c.pending + c.claimed = 0 THEN 'complete' ELSE 'running' END
                ELSE r.status END AS new_status
    FROM runs r, c WHERE r.id = $1
)
UPDATE runs r SET
    completed_blocks = c.completed,
    failed_blocks = c.failed,
    status = n.new_status,
    -- A running run with nothing in flight whose pending blocks were released for want of a
    -- usable key is waiting for one (resume after adding a key). Other reasons (cancelled_by_user,
    -- set by the gateway) are left alone; the key reasons clear themselves.
    status_reason = CASE
        WHEN n.new_status = 'running' AND c.claimed = 0 AND c.bad_key > 0
            THEN 'waiting_for_valid_api_key'
        WHEN n.new_status = 'running' AND c.claimed = 0 AND c.no_key > 0
            THEN 'waiting_for_api_key'
        -- The budget cap stopped new calls: the run is paused until resumed with room to spend.
        WHEN n.new_status = 'running' AND c.claimed = 0 AND c.no_budget > 0
            THEN 'budget_exhausted'
        WHEN r.status_reason IN ('waiting_for_api_key', 'waiting_for_valid_api_key',
                                 'budget_exhausted') THEN NULL
        ELSE r.status_reason END,
    started_at = COALESCE(r.started_at, now()),
    completed_at = CASE WHEN n.new_status = 'complete' AND n.old_status <> 'complete'
                        THEN now() ELSE r.completed_at END,
    updated_at = now(),
    -- Two numbers per recount: run.progress, then run.completed when this recount completes.
    event_seq = r.event_seq + 2
FROM c, next n
WHERE r.id = n.id
-- While `planning`, the total is the run's block count (fixed at creation) and the blocks with no
-- overlay yet are pending; the run cannot complete before its planning ends.
RETURNING n.old_status, n.old_reason, r.status, r.status_reason, r.total_blocks,
          CASE WHEN r.status = 'planning' THEN r.total_blocks ELSE c.total END AS total,
          c.completed, c.failed,
          CASE WHEN r.status = 'planning' THEN r.total_blocks - c.total + c.pending
               ELSE c.pending END AS pending,
          c.claimed, r.account_id, r.project_id, r.event_seq;

-- name: active_runs
-- Runs whose counters may still move.
SELECT id FROM runs WHERE status IN ('planning', 'pending', 'running') ORDER BY created_at LIMIT $1;

-- name: rerequest_stalled_planning
-- A `planning` run whose last planning step is older than two leases lost its
-- run.plan-requested (purged, dead-lettered): touched, so it is re-requested once per two leases.
UPDATE runs SET plan_step_at = now()
WHERE id = $1 AND status = 'planning'
  AND COALESCE(plan_step_at, created_at)
      < now() - make_interval(secs => 2 * (policy ->> 'lease_seconds')::int)
RETURNING id;

-- name: reoffer_stalled_run
-- A running run with pending blocks, nothing claimed and no overlay touched for two leases has
-- lost the messages that would move it (dead-lettered or purged pack.ready / run.created). Its
-- pending blocks are touched (so the next offer is two leases later) and returned by pack, to be
-- offered again; a NULL pack_id means unplanned blocks. Blocks that wait on purpose (for a key,
-- a budget, or after a cancel) stay where they are.
WITH run AS (
    SELECT id, (policy ->> 'lease_seconds')::int AS lease FROM runs
    WHERE id = $1 AND status = 'running'
), stalled AS (
    SELECT run.id FROM run
    WHERE NOT EXISTS (
        SELECT 1 FROM overlays o
        WHERE o.run_id = run.id
          AND (o.status = 'claimed' OR o.updated_at > now() - make_interval(secs => 2 * run.lease))
    )
)
UPDATE overlays o SET updated_at = now()
FROM stalled s
WHERE o.run_id = s.id AND o.status = 'pending'
  AND (o.last_error_code IS NULL
       OR o.last_error_code NOT IN ('no_api_key', 'invalid_api_key', 'budget_exhausted', 'cancelled'))
RETURNING o.pack_id;

-- name: reap_expired_claims
-- Claims whose lease ran out (their worker died or hung) go back to pending, counting the
-- attempt; a block that used up the run's max_attempts fails instead of looping forever.
-- Only active runs hold claims (cancel releases them; complete means none are left), and their
-- overlays are read run by run through the primary key (LATERAL): no index on claim_expires_at
-- to maintain, and finished runs' overlays, however many, are never scanned (a join let
-- Postgres seq-scan the whole table).
WITH expired AS (
    SELECT e.run_id, e.document_id, e.block_index
    FROM runs r CROSS JOIN LATERAL (
        SELECT o.run_id, o.document_id, o.block_index, o.claim_expires_at
        FROM overlays o
        WHERE o.run_id = r.id AND o.status = 'claimed' AND o.claim_expires_at < now()
        FOR UPDATE SKIP LOCKED
    ) e
    WHERE r.status IN ('planning', 'pending', 'running')
    ORDER BY e.claim_expires_at
    LIMIT $1
)
UPDATE overlays o SET
    status = CASE WHEN o.attempt_count + 1 >= (r.policy ->> 'max_attempts')::int
                  THEN 'failed' ELSE 'pending' END,
    attempt_count = o.attempt_count + 1,
    claimed_by = NULL,
    claim_expires_at = NULL,
    last_error_code = 'lease_expired',
    last_error_message = 'the worker holding this block stopped renewing its lease',
    settled_at = CASE WHEN o.attempt_count + 1 >= (r.policy ->> 'max_attempts')::int
                      THEN now() END,
    updated_at = now()
FROM expired e, runs r
WHERE o.run_id = e.run_id AND o.document_id = e.document_id AND o.block_index = e.block_index
  AND r.id = o.run_id
RETURNING o.run_id, o.pack_id, o.status;

-- name: insert_dead_letter
-- A copy of one dead letter with its reason; a second copy of the same message is ignored.
INSERT INTO dead_letters
    (id, message_id, queue, routing_key, error_code, error, payload, headers)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (message_id, queue) DO NOTHING;

-- name: run_stage_facts
-- What the run's todo list is made of besides its overlay counts, read after the recompute in
-- the same transaction.
SELECT r.status, r.created_at, r.completed_at, r.stages, r.planned_at,
       d.documents, d.converted, d.conversion_failed, d.documents_from, d.documents_until,
       c.first_call_at, c.cost_usd,
       e.exports, e.exports_ready, e.exports_failed, e.first_export_at, e.last_export_at
FROM runs r,
LATERAL (
    SELECT count(*) AS documents,
           count(*) FILTER (WHERE doc.status = 'ready') AS converted,
           count(*) FILTER (WHERE doc.status = 'failed') AS conversion_failed,
           min(doc.created_at) AS documents_from,
           max(doc.updated_at) AS documents_until
    FROM run_documents rd JOIN documents doc ON doc.id = rd.document_id
    WHERE rd.run_id = r.id
) d,
LATERAL (
    SELECT min(created_at) AS first_call_at, coalesce(sum(cost_usd), 0) AS cost_usd
    FROM llm_calls WHERE run_id = r.id
) c,
LATERAL (
    SELECT count(*) AS exports,
           count(*) FILTER (WHERE status = 'ready') AS exports_ready,
           count(*) FILTER (WHERE status = 'failed') AS exports_failed,
           min(created_at) AS first_export_at,
           max(completed_at) AS last_export_at
    FROM exports WHERE run_id = r.id
) e
WHERE r.id = $1;

-- name: save_stages
-- The run's todo list as the recount found it.
UPDATE runs SET stages = $2 WHERE id = $1;
