-- name: pending_export
-- An export still to build (a redelivered request for a finished one finds nothing).
SELECT id, run_id, format FROM exports WHERE id = $1 AND status = 'pending';

-- name: run_rows
-- One row per block of the run, documents in upload order, blocks in numeric block_index order.
SELECT o.document_id, o.block_index, b.block_type, b.section_path, b.text, b.page_start,
       b.page_end, o.status, o.review_status, o.staged, o.confirmed
FROM overlays o
JOIN blocks b USING (document_id, block_index)
JOIN documents d ON d.id = o.document_id
WHERE o.run_id = $1
ORDER BY d.created_at, o.document_id, o.block_index;

-- name: mark_ready
-- Finish the export; conditional so a duplicate never writes twice.
UPDATE exports e SET status = 'ready', blob_key = $2, row_count = $3, completed_at = now()
FROM runs r
WHERE e.id = $1 AND e.status = 'pending' AND r.id = e.run_id
RETURNING e.run_id, e.account_id, r.project_id;
