-- name: get_document
-- The fields ingest checks for one document.
SELECT id, status, filename, sha256, byte_size, blob_key
FROM documents
WHERE id = $1;

-- name: mark_converting
-- Hand the document to conversion, only if it is still received (a duplicate finds 'converting').
UPDATE documents
SET status = 'converting', source_format = $2, updated_at = now()
WHERE id = $1 AND status = 'received'
RETURNING id;

-- name: mark_failed
-- Reject the document with the reason shown to people, only if it is still received.
UPDATE documents
SET status = 'failed', source_format = $4, error_code = $2, error_message = $3, updated_at = now()
WHERE id = $1 AND status = 'received'
RETURNING account_id, project_id;
