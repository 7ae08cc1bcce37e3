-- Schema workflow (issue 11): versions, forks, idempotent saves. Every statement filters by the
-- caller's account_id.

-- name: claim_idempotency_key
-- Take a key for this request; nothing when an earlier request holds it (a concurrent holder
-- makes this wait until it commits or rolls back).
INSERT INTO idempotency_keys (account_id, key, scope, request_hash) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id, key) DO NOTHING
RETURNING key;

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

-- name: list_schema_versions
-- Every version of a schema name, oldest first.
SELECT * FROM schemas WHERE project_id = $1 AND name = $2 AND account_id = $3 ORDER BY version;

-- name: schema_version_by_number
-- One version of a schema name.
SELECT * FROM schemas WHERE project_id = $1 AND name = $2 AND version = $3 AND account_id = $4;

-- name: insert_run_of_kind
-- A preview or evaluation run with its frozen policy snapshot.
INSERT INTO runs (id, account_id, project_id, schema_id, status, policy, kind, baseline_run_id)
VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7);

-- name: chosen_blocks_to_plan
-- The chosen blocks (document_id, block_index pairs) in claim order, with their token estimates.
SELECT b.document_id, b.block_index, b.token_estimate
FROM blocks b JOIN unnest($1::uuid[], $2::int[]) AS c (document_id, block_index)
    USING (document_id, block_index)
ORDER BY b.document_id, b.block_index;
