-- name: get_document
-- The fields conversion needs from one document.
SELECT id, status, blob_key, source_format, filename
FROM documents
WHERE id = $1;

-- name: mark_ready
-- Finish a conversion, only if it is still converting (a duplicate message finds 'ready');
-- $4: the conversion span's traceparent, which every pack span carrying its blocks links to.
UPDATE documents
SET status = 'ready', block_count = $2, conversion_path = $3, trace_context = $4,
    error_code = NULL, error_message = NULL, updated_at = now()
WHERE id = $1 AND status = 'converting'
RETURNING account_id, project_id;

-- name: mark_failed
-- Fail a conversion with the reason shown to people, only if it is still converting.
UPDATE documents
SET status = 'failed', error_code = $2, error_message = $3, updated_at = now()
WHERE id = $1 AND status = 'converting'
RETURNING account_id, project_id;

-- name: insert_block
-- One block; a block already stored for (document_id, block_index) is left as it is.
INSERT INTO blocks (
    document_id, block_index, block_type, text, section_path,
    page_start, page_end, bbox, table_cells, token_estimate,
    list_level, ocr_confidence, line_boxes
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (document_id, block_index) DO NOTHING;
