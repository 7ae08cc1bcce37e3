-- The gateway's statements. Every statement that reads or writes tenant data filters by the
-- caller's account_id, so another account's ids behave exactly like unknown ids.

-- name: insert_account
-- A new account.
INSERT INTO accounts (id, name, is_superuser) VALUES ($1, $2, $3);

-- name: insert_api_token
-- A token, stored only as its sha256 plus a 4-character hint.
INSERT INTO api_tokens (id, account_id, token_hash, hint) VALUES ($1, $2, $3, $4);

-- name: insert_project
-- A new project.
INSERT INTO projects (id, account_id, name) VALUES ($1, $2, $3)
RETURNING id, name, created_at;

-- name: list_projects
-- A page of the caller's projects, newest first, after a (created_at, id) cursor.
SELECT id, name, created_at FROM projects
WHERE account_id = $1
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: get_project
-- One of the caller's projects.
SELECT id, name, created_at FROM projects WHERE id = $1 AND account_id = $2;

-- name: insert_document
-- A received upload; nothing when the same bytes already exist in the project (dedupe).
INSERT INTO documents
    (id, account_id, project_id, filename, content_type, byte_size, sha256, blob_key, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received')
ON CONFLICT (project_id, sha256) DO NOTHING
RETURNING *;

-- name: document_by_sha
-- The existing document with these bytes in the project.
SELECT * FROM documents WHERE project_id = $1 AND sha256 = $2 AND account_id = $3;

-- name: retry_failed_document
-- The same bytes uploaded again after their document failed: convert again from the new blob.
UPDATE documents
SET status = 'received', error_code = NULL, error_message = NULL, source_format = NULL,
    conversion_path = NULL, blob_key = $2, filename = $3, updated_at = now()
WHERE id = $1 AND status = 'failed'
RETURNING *, (SELECT blob_key FROM documents WHERE id = $1) AS old_blob_key;

-- name: get_document
-- One of the caller's documents.
SELECT * FROM documents WHERE id = $1 AND account_id = $2;

-- name: list_documents
-- A page of a project's documents, newest first, after a (created_at, id) cursor.
SELECT * FROM documents
WHERE project_id = $1 AND account_id = $2
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5;

-- name: page_blocks
-- A page of a document's blocks after a cursor, in numeric block order.
SELECT b.* FROM blocks b JOIN documents d ON d.id = b.document_id
WHERE b.document_id = $1 AND d.account_id = $2 AND b.block_index > $3
ORDER BY b.block_index LIMIT $4;

-- name: schema_name_exists
-- Whether the project already has a schema of this name.
SELECT EXISTS (
    SELECT 1 FROM schemas WHERE project_id = $1 AND name = $2 AND account_id = $3
);

-- name: insert_schema
-- One immutable schema version.
INSERT INTO schemas
    (id, account_id, project_id, name, version, parent_id, definition, prompt_config)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: get_schema
-- One of the caller's schema versions.
SELECT * FROM schemas WHERE id = $1 AND account_id = $2;

-- name: latest_schema_version
-- The latest version of a schema name, locked so two saves cannot both pass the stale check.
SELECT * FROM schemas
WHERE project_id = $1 AND name = $2 AND account_id = $3
ORDER BY version DESC LIMIT 1 FOR UPDATE;

-- name: list_latest_schemas
-- A page of the latest version of each schema name in a project, by name, after a name.
SELECT DISTINCT ON (name) * FROM schemas
WHERE project_id = $1 AND account_id = $2 AND ($3::text IS NULL OR name > $3)
ORDER BY name, version DESC
LIMIT $4;

-- name: list_schema_versions
-- A page of every version of one schema name, oldest first, after a version.
SELECT * FROM schemas
WHERE project_id = $1 AND name = $2 AND account_id = $3 AND version > $4
ORDER BY version
LIMIT $5;

-- name: policy_settings
-- The admin policy every run snapshots.
SELECT settings FROM policies WHERE id = 1;

-- name: run_documents_status
-- Status of the requested documents that the caller owns in the schema's project (locked so a
-- document cannot change underneath the run being created).
SELECT id, status FROM documents
WHERE id = ANY($1::uuid[]) AND account_id = $2 AND project_id = $3
FOR SHARE;

-- name: ready_project_documents
-- Every ready document of a project.
SELECT id FROM documents
WHERE project_id = $1 AND account_id = $2 AND status = 'ready'
ORDER BY created_at, id
FOR SHARE;

-- name: insert_run
-- A new run with its frozen policy snapshot and its exact block count; the worker writes its
-- overlays and packs in the background (`planning`).
INSERT INTO runs (id, account_id, project_id, schema_id, status, policy, total_blocks)
VALUES ($1, $2, $3, $4, 'planning', $5, $6);

-- name: count_run_blocks
-- How many blocks the documents hold: an index-only count (a ready document's blocks never
-- change), so the answer does not wait for a million overlays to be written.
SELECT count(*) FROM blocks WHERE document_id = ANY($1::uuid[]);

-- name: insert_run_documents
-- The documents a run covers.
INSERT INTO run_documents (run_id, document_id) SELECT $1, unnest($2::uuid[]);

-- name: blocks_for_estimate
-- The texts a dry run would send, in the order the worker plans them.
SELECT document_id, block_index, text FROM blocks
WHERE document_id = ANY($1::uuid[])
ORDER BY document_id, block_index;

-- name: blocks_to_plan
-- The run's blocks in claim order (numeric block_index), with the token estimates packs are sized by.
SELECT document_id, block_index, token_estimate FROM blocks
WHERE document_id = ANY($1::uuid[])
ORDER BY document_id, block_index;

-- name: insert_overlays
-- One pending overlay per block, already in its pack.
INSERT INTO overlays (run_id, document_id, block_index, pack_id)
SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::uuid[]);

-- name: set_run_total
-- The run's block count, known once its overlays exist.
UPDATE runs SET total_blocks = $2, updated_at = now() WHERE id = $1;

-- name: get_run
-- One of the caller's runs with its documents.
SELECT r.*, ARRAY(
    SELECT rd.document_id FROM run_documents rd WHERE rd.run_id = r.id ORDER BY rd.document_id
) AS document_ids
FROM runs r WHERE r.id = $1 AND r.account_id = $2;

-- name: list_runs
-- A page of a project's runs, newest first, after a (created_at, id) cursor.
SELECT r.*, ARRAY(
    SELECT rd.document_id FROM run_documents rd WHERE rd.run_id = r.id ORDER BY rd.document_id
) AS document_ids
FROM runs r WHERE r.project_id = $1 AND r.account_id = $2
  AND ($3::timestamptz IS NULL OR (r.created_at, r.id) < ($3::timestamptz, $4::uuid))
ORDER BY r.created_at DESC, r.id DESC
LIMIT $5;

-- name: run_exists
-- Whether the caller owns this run.
SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND account_id = $2);

-- name: page_overlays
-- A page of a run's overlays after a (document_id, block_index) cursor, optionally by status.
SELECT o.* FROM overlays o JOIN runs r ON r.id = o.run_id
WHERE o.run_id = $1 AND r.account_id = $2
  AND ($3::text IS NULL OR o.status = $3)
  AND ($4::uuid IS NULL OR (o.document_id, o.block_index) > ($4::uuid, $5::int))
ORDER BY o.document_id, o.block_index
LIMIT $6;

-- name: lock_policy
-- The admin policy row, locked so two edits serialise and each audit row sees its true "old".
SELECT settings, updated_at, updated_by FROM policies WHERE id = 1 FOR UPDATE;

-- name: get_policy
-- The admin policy as stored (keys left out fall back to the defaults).
SELECT settings, updated_at, updated_by FROM policies WHERE id = 1;

-- name: update_policy
-- Store a new admin policy.
UPDATE policies SET settings = $1, updated_at = now(), updated_by = $2 WHERE id = 1
RETURNING settings, updated_at, updated_by;

-- name: insert_policy_audit
-- Who changed which keys, from what to what.
INSERT INTO policy_audit (changed_by, changed_keys, old_settings, new_settings)
VALUES ($1, $2, $3, $4);

-- name: list_policy_audit
-- Policy changes, newest first, keyset-paged by id.
SELECT a.id, a.changed_by, acc.name AS changed_by_name, a.changed_at, a.changed_keys,
       a.old_settings, a.new_settings
FROM policy_audit a JOIN accounts acc ON acc.id = a.changed_by
WHERE $1::bigint IS NULL OR a.id < $1
ORDER BY a.id DESC
LIMIT $2;

-- name: insert_run_budget
-- The run's spending cap, when its policy has one.
INSERT INTO run_budgets (run_id, budget_usd) VALUES ($1, $2);

-- name: run_usage
-- A run's model usage and billed cost: the sum of its calls.
SELECT count(*) AS calls,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(cache_creation_input_tokens), 0) AS cache_write_tokens,
       coalesce(sum(cache_read_input_tokens), 0) AS cache_read_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       (SELECT budget_usd FROM run_budgets WHERE run_id = $1) AS budget_usd,
       (SELECT reserved_usd FROM run_budgets WHERE run_id = $1) AS reserved_usd
FROM llm_calls WHERE run_id = $1;

-- name: overlay_cost_shares
-- Each block's share of the calls it was in (a call's cost split evenly over its blocks).
SELECT uid, sum(c.cost_usd / cardinality(c.block_uids)) AS cost_usd
FROM llm_calls c, unnest(c.block_uids) AS uid
WHERE c.run_id = $1 AND uid = ANY($2::text[])
GROUP BY uid;
