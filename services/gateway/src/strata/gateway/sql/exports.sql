-- name: export_run
-- The caller's run an export is asked of, with what the export row records.
SELECT id, project_id, schema_id FROM runs WHERE id = $1 AND account_id = $2;

-- name: run_has_document
-- Whether the document is one of the run's.
SELECT EXISTS (SELECT 1 FROM run_documents WHERE run_id = $1 AND document_id = $2);

-- name: project_schema
-- The schema version, if it belongs to the caller's project.
SELECT id FROM schemas WHERE id = $1 AND project_id = $2 AND account_id = $3;

-- name: insert_export
-- A pending export (run, document or project scope).
INSERT INTO exports (id, account_id, project_id, run_id, scope, content, document_id, schema_id,
                     format, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')
RETURNING *;

-- name: get_export
-- One of the caller's exports, with the names its download is called after.
SELECT e.*, d.filename AS document_filename, p.name AS project_name, s.name AS schema_name,
       s.version AS schema_version
FROM exports e
JOIN projects p ON p.id = e.project_id
LEFT JOIN documents d ON d.id = e.document_id
LEFT JOIN runs r ON r.id = e.run_id
LEFT JOIN schemas s ON s.id = coalesce(e.schema_id, r.schema_id)
WHERE e.id = $1 AND e.account_id = $2;

-- name: delete_export
-- Forget one of the caller's exports; its file is deleted by the caller.
DELETE FROM exports WHERE id = $1 AND account_id = $2 RETURNING id, blob_key, format;

-- name: page_run_exports
-- A run's exports, newest first, after a (created_at, id) cursor.
SELECT * FROM exports
WHERE run_id = $1 AND account_id = $2
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5;

-- name: page_project_exports
-- A project's exports of every scope, newest first, after a (created_at, id) cursor.
SELECT * FROM exports
WHERE project_id = $1 AND account_id = $2
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5;
