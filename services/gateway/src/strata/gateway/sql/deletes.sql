-- Deleting what a tenant owns. Every statement filters by the caller's account_id; the foreign
-- keys cascade the rest (blocks, overlays, llm_calls, run_budgets, exports, run_documents).

-- name: lock_project_for_delete
-- The project, locked so uploads and run creations wait for the delete to finish.
SELECT id FROM projects WHERE id = $1 AND account_id = $2 FOR UPDATE;

-- name: project_active_runs
-- The project's runs that may still call the model (cancelled before the delete).
SELECT id FROM runs
WHERE project_id = $1 AND account_id = $2 AND status IN ('planning', 'pending', 'running');

-- name: project_blob_keys
-- Every blob the project's documents and exports own.
SELECT blob_key FROM documents WHERE project_id = $1 AND account_id = $2
UNION ALL
SELECT blob_key FROM exports
WHERE project_id = $1 AND account_id = $2 AND blob_key IS NOT NULL;

-- name: delete_project
-- The project and, by cascade, its documents, blocks, schemas, runs, overlays and exports.
DELETE FROM projects WHERE id = $1 AND account_id = $2 RETURNING id;

-- name: run_status
-- One of the caller's runs' status.
SELECT status FROM runs WHERE id = $1 AND account_id = $2;

-- name: document_runs
-- The runs that cover a document.
SELECT r.id, r.status FROM run_documents rd JOIN runs r ON r.id = rd.run_id
WHERE rd.document_id = $1 AND r.account_id = $2;

-- name: delete_document
-- One document (its blocks by cascade); its blob key for the file.
DELETE FROM documents WHERE id = $1 AND account_id = $2 RETURNING blob_key;

-- name: delete_runs
-- Runs (their overlays, calls, budgets and exports by cascade); the export files they owned.
WITH gone_exports AS (
    SELECT e.blob_key FROM exports e
    WHERE e.run_id = ANY($1::uuid[]) AND e.account_id = $2 AND e.blob_key IS NOT NULL
), gone AS (
    DELETE FROM runs WHERE id = ANY($1::uuid[]) AND account_id = $2 RETURNING id
)
SELECT (SELECT count(*) FROM gone) AS runs, ARRAY(SELECT blob_key FROM gone_exports) AS blob_keys;

-- name: schema_name_of
-- The project and name of one of the caller's schema versions, locked.
SELECT project_id, name FROM schemas WHERE id = $1 AND account_id = $2 FOR UPDATE;

-- name: schema_in_use
-- Whether a run uses any version of this schema name.
SELECT EXISTS (
    SELECT 1 FROM runs r JOIN schemas s ON s.id = r.schema_id
    WHERE s.project_id = $1 AND s.name = $2 AND s.account_id = $3
);

-- name: schema_export_blob_keys
-- The files of project-scope exports of a schema name (the rows go by cascade).
SELECT e.blob_key FROM exports e JOIN schemas s ON s.id = e.schema_id
WHERE s.project_id = $1 AND s.name = $2 AND e.account_id = $3 AND e.blob_key IS NOT NULL;

-- name: document_export_blob_keys
-- The files of document-scope exports of a document (the rows go by cascade).
SELECT blob_key FROM exports
WHERE document_id = $1 AND account_id = $2 AND blob_key IS NOT NULL;

-- name: delete_schema_versions
-- Every version of a schema name (one statement: parent links are checked at its end).
DELETE FROM schemas WHERE project_id = $1 AND name = $2 AND account_id = $3 RETURNING id;
