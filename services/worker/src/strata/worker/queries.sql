-- name: run_context
-- The frozen policy and the schema version of a run.
SELECT r.id, r.account_id, r.status, r.policy, s.definition, s.prompt_config
FROM runs r JOIN schemas s ON s.id = r.schema_id
WHERE r.id = $1;

-- name: lock_run
-- Serialises planning of one run (a duplicate run.plan-requested waits, then finds the next
-- chunk or nothing to plan) with the gateway's cancel and the rollup's recount. NO KEY UPDATE:
-- settles (whose llm_calls row takes KEY SHARE on the run) never wait for a planning step.
SELECT status FROM runs WHERE id = $1 FOR NO KEY UPDATE;

-- name: unplanned_blocks
-- Pending overlays of a run in no pack yet (after a cancel or a retry-failed), in claim order,
-- at most $2: read through the partial index on unpacked overlays (small whatever the history).
SELECT o.document_id, o.block_index, b.token_estimate
FROM overlays o JOIN blocks b USING (document_id, block_index)
WHERE o.run_id = $1 AND o.pack_id IS NULL AND o.status = 'pending'
ORDER BY o.document_id, o.block_index
LIMIT $2;

-- name: last_overlay
-- The planning cursor: the run's last overlay in claim order (a backward primary-key probe).
SELECT document_id, block_index FROM overlays
WHERE run_id = $1
ORDER BY document_id DESC, block_index DESC
LIMIT 1;

-- name: next_run_documents
-- The run's documents after $2 (all of them when NULL), in claim order, at most $3.
SELECT document_id FROM run_documents
WHERE run_id = $1 AND ($2::uuid IS NULL OR document_id > $2)
ORDER BY document_id
LIMIT $3;

-- name: document_blocks_after
-- One document's blocks after block $2, in order, at most $3 (a primary-key range).
SELECT document_id, block_index, token_estimate FROM blocks
WHERE document_id = $1 AND block_index > $2
ORDER BY block_index
LIMIT $3;

-- name: insert_planned_overlays
-- One pending overlay per planned block, born in its pack. Under the run's lock the cursor
-- already excludes written blocks; the conflict clause keeps a block to one overlay regardless.
INSERT INTO overlays (run_id, document_id, block_index, pack_id)
SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::uuid[])
ON CONFLICT DO NOTHING;

-- name: assign_packs
-- Put planned blocks into their packs; only blocks still unplanned.
UPDATE overlays o SET pack_id = v.pack_id, updated_at = now()
FROM unnest($2::uuid[], $3::int[], $4::uuid[]) AS v(document_id, block_index, pack_id)
WHERE o.run_id = $1 AND o.document_id = v.document_id AND o.block_index = v.block_index
  AND o.pack_id IS NULL;

-- name: planning_step_done
-- A planning step committed (the rollup's sweep re-requests planning that stopped moving).
UPDATE runs SET plan_step_at = now() WHERE id = $1;

-- name: finish_planning
-- The last chunk is written: the run is running (the recount that follows may complete it).
UPDATE runs SET status = 'running', planned_at = now(), plan_step_at = now(),
    started_at = COALESCE(started_at, now()), updated_at = now()
WHERE id = $1 AND status = 'planning';

-- name: claim_pack
-- Claim a pack's pending overlays in block_index order with a lease; returns their texts and
-- their documents' conversion span contexts (the pack span links to them).
-- No lock on the run row (every pack would contend for it): a cancel detaches pending overlays
-- from their packs, and a claim racing it re-checks `pack_id = $2` on each row it locks.
WITH picked AS (
    SELECT o.document_id, o.block_index
    FROM overlays o
    WHERE o.run_id = $1 AND o.pack_id = $2 AND o.status = 'pending'
      AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND status IN ('planning', 'pending', 'running'))
    ORDER BY o.document_id, o.block_index
    FOR UPDATE OF o SKIP LOCKED
), claimed AS (
    UPDATE overlays o
    SET status = 'claimed', claimed_by = $3,
        claim_expires_at = now() + make_interval(secs => $4), updated_at = now()
    FROM picked p
    WHERE o.run_id = $1 AND o.pack_id = $2
      AND o.document_id = p.document_id AND o.block_index = p.block_index
    RETURNING o.document_id, o.block_index, o.attempt_count
)
SELECT c.document_id, c.block_index, c.attempt_count, b.text, d.trace_context
FROM claimed c JOIN blocks b USING (document_id, block_index)
JOIN documents d ON d.id = c.document_id
ORDER BY c.document_id, c.block_index;

-- name: renew_lease
-- Keep our claims alive while the model call runs.
UPDATE overlays SET claim_expires_at = now() + make_interval(secs => $4)
WHERE run_id = $1 AND pack_id = $2 AND status = 'claimed' AND claimed_by = $3;

-- name: settle_overlays
-- Write each claimed block's outcome; only claims still ours (a reaped or cancelled claim is
-- not ours any more, and its late answer is discarded). Each row is found by its primary key;
-- a filter on pack_id here makes Postgres rescan the unnest once per overlay (n² per pack).
UPDATE overlays o SET
    status = v.status,
    staged = COALESCE(v.staged, o.staged),
    attempt_count = o.attempt_count + v.attempt_inc,
    pack_id = COALESCE(v.pack_id, o.pack_id),
    last_error_code = v.error_code,
    last_error_message = v.error_message,
    claimed_by = NULL,
    claim_expires_at = NULL,
    settled_at = CASE WHEN v.status IN ('ai_complete', 'failed') THEN now() END,
    -- Review flags (strata.planning.flags) of a settled block; an unflagged block writes the
    -- same '{}' it had, so its update stays HOT (the flagged-queue index is partial).
    flags = ARRAY(SELECT jsonb_array_elements_text(v.flags::jsonb)),
    -- The pack span that settled the block ($12, $13: hex ids; NULL outside a trace).
    trace_id = $12,
    span_id = $13,
    updated_at = now()
FROM unnest($2::uuid[], $3::int[], $4::text[], $5::jsonb[], $6::int[], $7::uuid[], $8::text[], $9::text[], $11::text[])
    AS v(document_id, block_index, status, staged, attempt_inc, pack_id, error_code, error_message, flags)
WHERE o.run_id = $1 AND o.document_id = v.document_id AND o.block_index = v.block_index
  AND o.status = 'claimed' AND o.claimed_by = $10
RETURNING o.status, o.pack_id;

-- name: insert_llm_call
-- One row per model call, successful or not.
INSERT INTO llm_calls (
    id, run_id, pack_id, block_uids, model, input_tokens, output_tokens,
    cache_creation_input_tokens, cache_read_input_tokens, cost_usd, latency_ms,
    stop_reason, error_code, error_message, cache_miss_reason, structured_output, service_tier,
    answer_form)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18);

-- name: reserve_budget
-- Reserve a call's worst case, only if the run stays within its budget (one row, atomic).
UPDATE run_budgets SET reserved_usd = reserved_usd + $2
WHERE run_id = $1 AND spent_usd + reserved_usd + $2 <= budget_usd
RETURNING reserved_usd;

-- name: settle_budget
-- Swap a call's reservation for what it was billed.
UPDATE run_budgets
SET reserved_usd = GREATEST(reserved_usd - $2, 0), spent_usd = spent_usd + $3
WHERE run_id = $1;
