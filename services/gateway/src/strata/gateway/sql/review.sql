-- Review: a person's actions on settled blocks, the review queue, the audit and the counters.
-- Every statement is scoped to the caller's account through the run.

-- name: review_overlay
-- One overlay of the caller's run, with its block and the run's schema definition.
SELECT o.document_id, o.block_index, o.status, o.staged, o.confirmed, o.review_status,
       o.review_revision, o.flags, o.last_error_code, o.settled_at, o.trace_id, o.span_id,
       b.block_type, b.text, b.section_path, b.page_start, b.page_end, d.filename,
       s.definition
FROM overlays o
JOIN runs r ON r.id = o.run_id
JOIN schemas s ON s.id = r.schema_id
JOIN blocks b ON b.document_id = o.document_id AND b.block_index = o.block_index
JOIN documents d ON d.id = o.document_id
WHERE o.run_id = $1 AND o.document_id = $2 AND o.block_index = $3 AND r.account_id = $4;

-- name: apply_review
-- One reviewer's action, only if nobody acted since the revision they saw (one of two
-- concurrent reviewers wins; the other's update finds the revision moved and changes nothing).
UPDATE overlays
SET review_status = $5, confirmed = $6, review_revision = review_revision + 1, updated_at = now()
WHERE run_id = $1 AND document_id = $2 AND block_index = $3 AND review_revision = $4
  AND status IN ('ai_complete', 'failed')
RETURNING review_revision;

-- name: insert_review_event
-- The audit row of one action.
INSERT INTO review_events
    (run_id, document_id, block_index, account_id, token_id, action, before, after, revision, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: bulk_review
-- One action over many blocks of a run ($2 a document or all; $3 overlay statuses; $4 the review
-- statuses the action starts from; $5 include flagged blocks; $6 only blocks carrying this flag
-- kind; $7 only blocks with staged values). Rows are locked, so a single action racing this one
-- either waits and finds the revision moved, or commits first and its block is skipped here.
-- Repeating it changes nothing: the blocks it moved no longer start from $4.
WITH target AS (
    SELECT o.document_id, o.block_index, o.review_status, o.confirmed
    FROM overlays o
    WHERE o.run_id = $1
      AND ($2::uuid IS NULL OR o.document_id = $2)
      AND o.status = ANY($3::text[])
      AND o.review_status = ANY($4::text[])
      AND ($5::boolean OR o.flags = '{}')
      AND ($6::text IS NULL OR EXISTS (
            SELECT 1 FROM unnest(o.flags) f WHERE f = $6 OR f LIKE $6 || ':%'))
      AND (NOT $7::boolean OR o.staged IS NOT NULL)
    ORDER BY o.document_id, o.block_index
    FOR UPDATE OF o
), changed AS (
    UPDATE overlays o
    SET review_status = $8,
        confirmed = CASE WHEN $8 = 'confirmed' THEN o.staged END,
        review_revision = o.review_revision + 1,
        updated_at = now()
    FROM target t
    WHERE o.run_id = $1 AND o.document_id = t.document_id AND o.block_index = t.block_index
    RETURNING o.document_id, o.block_index, o.review_revision, o.review_status, o.confirmed,
              t.review_status AS was_status, t.confirmed AS was_confirmed
), logged AS (
    INSERT INTO review_events
        (run_id, document_id, block_index, account_id, token_id, action, before, after,
         revision, reason)
    SELECT $1, c.document_id, c.block_index, $9, $10, $11,
           jsonb_build_object('review_status', c.was_status, 'confirmed', c.was_confirmed),
           jsonb_build_object('review_status', c.review_status, 'confirmed', c.confirmed),
           c.review_revision, $12
    FROM changed c
    RETURNING 1
)
SELECT (SELECT count(*) FROM logged) AS changed,
       (SELECT count(*) FROM overlays o
        WHERE o.run_id = $1 AND NOT $5::boolean AND o.flags <> '{}'
          AND ($2::uuid IS NULL OR o.document_id = $2)
          AND o.status = ANY($3::text[])
          AND o.review_status = ANY($4::text[])
          AND (NOT $7::boolean OR o.staged IS NOT NULL)) AS skipped_flagged;

-- name: review_queue_flagged
-- Flagged settled blocks after a (-flag count, document_id, block_index) cursor: most flags
-- first, then document and block order (overlays_flagged_idx).
SELECT o.document_id, o.block_index, o.status, o.staged, o.confirmed, o.review_status,
       o.review_revision, o.flags, o.last_error_code, o.settled_at, o.trace_id, o.span_id,
       b.block_type, b.text, b.section_path, b.page_start, b.page_end, d.filename
FROM overlays o
JOIN blocks b ON b.document_id = o.document_id AND b.block_index = o.block_index
JOIN documents d ON d.id = o.document_id
WHERE o.run_id = $1 AND o.flags <> '{}'
  AND (- cardinality(o.flags), o.document_id, o.block_index) > ($2::int, $3::uuid, $4::int)
  AND o.status IN ('ai_complete', 'failed')
  AND ($5::text IS NULL OR o.review_status = $5)
ORDER BY - cardinality(o.flags), o.document_id, o.block_index
LIMIT $6;

-- name: review_queue_unflagged
-- Unflagged settled blocks after a (document_id, block_index) cursor, in block order (the
-- primary key).
SELECT o.document_id, o.block_index, o.status, o.staged, o.confirmed, o.review_status,
       o.review_revision, o.flags, o.last_error_code, o.settled_at, o.trace_id, o.span_id,
       b.block_type, b.text, b.section_path, b.page_start, b.page_end, d.filename
FROM overlays o
JOIN blocks b ON b.document_id = o.document_id AND b.block_index = o.block_index
JOIN documents d ON d.id = o.document_id
WHERE o.run_id = $1 AND o.flags = '{}'
  AND (o.document_id, o.block_index) > ($2::uuid, $3::int)
  AND o.status IN ('ai_complete', 'failed')
  AND ($4::text IS NULL OR o.review_status = $4)
ORDER BY o.document_id, o.block_index
LIMIT $5;

-- name: review_counts
-- A run's review counters from its tallies (kept exact by a trigger on every overlay write, in
-- the writing transaction): a handful of rows, not every overlay of a million-block run on each
-- `GET /runs/{id}`.
SELECT coalesce(sum(overlays - reviewed), 0)::int AS unreviewed,
       coalesce(sum(confirmed), 0)::int AS confirmed,
       coalesce(sum(edited), 0)::int AS edited,
       coalesce(sum(rejected), 0)::int AS rejected,
       coalesce(sum(flagged), 0)::int AS flagged
FROM run_tallies WHERE run_id = $1;

-- name: run_review_events
-- A run's review events, newest first, keyset-paged by id.
SELECT e.*, t.hint AS token_hint, a.name AS account_name
FROM review_events e
JOIN accounts a ON a.id = e.account_id
LEFT JOIN api_tokens t ON t.id = e.token_id
WHERE e.run_id = $1 AND ($2::bigint IS NULL OR e.id < $2)
ORDER BY e.id DESC
LIMIT $3;

-- name: overlay_review_events
-- One block's review events, newest first, keyset-paged by id.
SELECT e.*, t.hint AS token_hint, a.name AS account_name
FROM review_events e
JOIN accounts a ON a.id = e.account_id
LEFT JOIN api_tokens t ON t.id = e.token_id
WHERE e.run_id = $1 AND e.document_id = $2 AND e.block_index = $3
  AND ($4::bigint IS NULL OR e.id < $4)
ORDER BY e.id DESC
LIMIT $5;

-- name: overlay_exists
-- Whether the caller's run has an overlay for this block.
SELECT EXISTS (
    SELECT 1 FROM overlays o JOIN runs r ON r.id = o.run_id
    WHERE o.run_id = $1 AND o.document_id = $2 AND o.block_index = $3 AND r.account_id = $4
);
