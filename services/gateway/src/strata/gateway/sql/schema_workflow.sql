-- Schema workflow (issue 11): versions, forks, idempotent saves. Every statement filters by the
-- caller's account_id.

-- name: claim_idempotency_key
-- Take a key for this request; nothing when an earlier request holds it (a concurrent holder
-- makes this wait until it commits or rolls back). A key older than its lifetime ($5) is free
-- again: it is taken over as if new.
INSERT INTO idempotency_keys (account_id, key, scope, request_hash) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id, key) DO UPDATE
    SET scope = EXCLUDED.scope, request_hash = EXCLUDED.request_hash, status_code = NULL,
        response = NULL, created_at = now()
    WHERE idempotency_keys.created_at < now() - $5::interval
RETURNING key;

-- name: purge_idempotency_keys
-- The account's keys past their lifetime ($2), so that the table holds about a day of saves.
DELETE FROM idempotency_keys WHERE account_id = $1 AND created_at < now() - $2::interval;

-- name: get_idempotency_key
-- The stored first answer for a key.
SELECT scope, request_hash, status_code, response FROM idempotency_keys
WHERE account_id = $1 AND key = $2;

-- name: record_idempotency_answer
-- The answer every retry with this key repeats.
UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE account_id = $1 AND key = $2;

-- name: insert_schema_version
-- One immutable schema version with the template it came from (if any).
INSERT INTO schemas
    (id, account_id, project_id, name, version, parent_id, definition, prompt_config,
     template_id, template_params)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: schema_version_by_number
-- One version of a schema name.
SELECT * FROM schemas WHERE project_id = $1 AND name = $2 AND version = $3 AND account_id = $4;

-- name: insert_run_of_kind
-- A preview or evaluation run with its frozen policy snapshot; its few chosen blocks are
-- planned in the request, so it is born planned.
INSERT INTO runs (id, account_id, project_id, schema_id, status, policy, kind, baseline_run_id,
                  planned_at)
VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, now());

-- name: chosen_blocks_to_plan
-- The chosen blocks (document_id, block_index pairs) in claim order, with their token estimates.
SELECT b.document_id, b.block_index, b.token_estimate
FROM blocks b JOIN unnest($1::uuid[], $2::int[]) AS c (document_id, block_index)
    USING (document_id, block_index)
ORDER BY b.document_id, b.block_index;

-- name: run_answers
-- Every overlay of one of the caller's runs: its answer, its review and its state.
SELECT o.document_id, o.block_index, o.status, o.staged, o.confirmed, o.review_status,
       o.last_error_code
FROM overlays o JOIN runs r ON r.id = o.run_id
WHERE o.run_id = $1 AND r.account_id = $2
ORDER BY o.document_id, o.block_index;

-- name: run_state
-- A run's kind, status, counters and billed cost.
SELECT r.id, r.kind, r.status, r.schema_id, r.baseline_run_id, r.total_blocks,
       r.completed_blocks, r.failed_blocks,
       (SELECT coalesce(sum(cost_usd), 0) FROM llm_calls c WHERE c.run_id = r.id) AS cost_usd
FROM runs r WHERE r.id = $1 AND r.account_id = $2;

-- name: reviewed_blocks
-- The blocks of a run that a person confirmed or edited: an evaluation's test set.
SELECT o.document_id, o.block_index FROM overlays o JOIN runs r ON r.id = o.run_id
WHERE o.run_id = $1 AND r.account_id = $2 AND o.review_status IN ('confirmed', 'edited')
ORDER BY o.document_id, o.block_index;

-- name: preview_block_texts
-- The texts of a preview's blocks, to show beside their values.
SELECT document_id, block_index, block_type, text FROM blocks
WHERE document_id = $1 AND block_index = ANY($2::int[])
ORDER BY block_index;
