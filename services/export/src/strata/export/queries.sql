-- name: pending_export
-- An export still to build, with the schema its columns come from (a redelivered request for a
-- finished one finds nothing).
SELECT e.id, e.account_id, e.project_id, e.run_id, e.document_id, e.scope, e.content, e.format,
       coalesce(e.schema_id, r.schema_id) AS schema_id
FROM exports e LEFT JOIN runs r ON r.id = e.run_id
WHERE e.id = $1 AND e.status = 'pending';

-- name: export_schema
-- The schema version an export's columns come from.
SELECT id, name, version, definition FROM schemas WHERE id = $1;

-- name: run_info
-- What the metadata says about one run.
SELECT id, status, policy, total_blocks, created_at, completed_at FROM runs WHERE id = $1;

-- name: runs_usage
-- Model usage and billed cost of some runs: the sum of their calls.
SELECT count(*) AS calls,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(cache_creation_input_tokens), 0) AS cache_write_tokens,
       coalesce(sum(cache_read_input_tokens), 0) AS cache_read_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(cost_usd), 0) AS cost_usd
FROM llm_calls WHERE run_id = ANY($1::uuid[]);

-- name: schema_runs
-- The runs of one schema version in a project, oldest first (project scope spans them).
-- Previews and evaluations are trials of a schema, not the project's data: left out.
SELECT id FROM runs WHERE project_id = $1 AND schema_id = $2 AND kind = 'standard'
ORDER BY created_at, id;

-- name: run_documents
-- A run's documents in upload order (or the one document asked for).
SELECT d.id, d.filename FROM run_documents rd JOIN documents d ON d.id = rd.document_id
WHERE rd.run_id = $1 AND ($2::uuid IS NULL OR d.id = $2)
ORDER BY d.created_at, d.id;

-- name: project_documents
-- Every document some run of these runs covered, in upload order.
SELECT d.id, d.filename FROM documents d
WHERE d.id IN (SELECT document_id FROM run_documents WHERE run_id = ANY($1::uuid[]))
ORDER BY d.created_at, d.id;

-- name: document_rows
-- One document's rows of one run in block order: the primary key's own order, so no sort.
-- Ids and values come as text: the exporter only copies ids, and decodes values only when a
-- format needs them (JSONL splices the JSON text as is).
SELECT o.run_id::text AS run_id, o.document_id::text AS document_id, $3::text AS filename,
       o.block_index, b.block_type, b.section_path, b.text, b.page_start, b.page_end, o.status,
       o.review_status, o.flags, o.staged::text AS staged, o.confirmed::text AS confirmed,
       o.trace_id, o.span_id
FROM overlays o
JOIN blocks b ON b.document_id = o.document_id AND b.block_index = o.block_index
WHERE o.run_id = $1 AND o.document_id = $2
ORDER BY o.block_index;

-- name: project_document_rows
-- One document's rows across runs: per block, the latest run whose overlay has a value for the
-- content asked for ($3: confirmed | staged | merged; merged prefers confirmed), else the latest
-- run. Confirmed means confirmed or edited with values; a rejected block never counts as one.
SELECT DISTINCT ON (o.block_index)
       o.run_id::text AS run_id, o.document_id::text AS document_id, $4::text AS filename,
       o.block_index, b.block_type, b.section_path, b.text, b.page_start, b.page_end, o.status,
       o.review_status, o.flags, o.staged::text AS staged, o.confirmed::text AS confirmed,
       o.trace_id, o.span_id
FROM overlays o
JOIN runs r ON r.id = o.run_id
JOIN blocks b ON b.document_id = o.document_id AND b.block_index = o.block_index
WHERE o.run_id = ANY($1::uuid[]) AND o.document_id = $2
ORDER BY o.block_index,
         CASE
           WHEN $3 <> 'staged' AND o.review_status IN ('confirmed', 'edited')
                AND o.confirmed IS NOT NULL THEN 2
           WHEN $3 = 'staged' AND o.staged IS NOT NULL THEN 1
           WHEN $3 = 'merged' AND o.staged IS NOT NULL AND o.review_status <> 'rejected' THEN 1
           ELSE 0
         END DESC,
         r.created_at DESC, r.id DESC;

-- name: mark_ready
-- Finish the export; conditional so a duplicate never writes twice.
UPDATE exports SET status = 'ready', blob_key = $2, row_count = $3, completed_at = now()
WHERE id = $1 AND status = 'pending'
RETURNING id;

-- name: mark_failed
-- Give up on an export, saying why.
UPDATE exports SET status = 'failed', error_message = $2, completed_at = now()
WHERE id = $1 AND status = 'pending'
RETURNING run_id, account_id, project_id;
