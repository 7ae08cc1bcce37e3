-- Cancel, resume and retry-failed: the writes a person makes to a run's lifecycle. Each runs in
-- one outbox transaction under a lock on the run row, so it serialises with the rollup's
-- recompute and the worker's planning of the same run.

-- name: lock_run
-- One of the caller's runs, locked.
SELECT status, status_reason, project_id, planned_at IS NOT NULL AS planned
FROM runs WHERE id = $1 AND account_id = $2 FOR UPDATE;

-- name: next_event_seq
-- The next sequence number of one of the run's events (taken under the run's row lock).
UPDATE runs SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq;

-- name: set_run_status
-- Move the run (cancel, resume, reopen); a reopened run is not complete any more.
UPDATE runs SET status = $2, status_reason = $3,
    completed_at = CASE WHEN $2 = 'complete' THEN completed_at END,
    updated_at = now()
WHERE id = $1;

-- name: release_for_cancel
-- Pending and claimed overlays go (back) to pending with no claim residue; a claim's late answer
-- is then discarded by the worker, which settles only claims still its own. They also leave
-- their packs: a claim racing this cancel re-checks `pack_id = <its pack>` on the rows it locks
-- and so claims nothing, without any lock on the run row (resume plans them again).
WITH released AS (
    UPDATE overlays SET status = 'pending', claimed_by = NULL, claim_expires_at = NULL,
        pack_id = NULL,
        last_error_code = 'cancelled',
        last_error_message = 'the run was cancelled; resume continues it',
        updated_at = now()
    WHERE run_id = $1 AND status IN ('pending', 'claimed')
    RETURNING 1
)
SELECT count(*) FROM released;

-- name: clear_wait_reasons
-- On resume, pending overlays forget why they were waiting (no key, cancel, budget); if the
-- reason still holds, the worker writes it again.
UPDATE overlays SET last_error_code = NULL, last_error_message = NULL, updated_at = now()
WHERE run_id = $1 AND status = 'pending'
  AND last_error_code IN ('no_api_key', 'invalid_api_key', 'cancelled', 'budget_exhausted');

-- name: pending_packs
-- The packs that still hold pending overlays, to be offered again.
SELECT pack_id, count(*) AS block_count FROM overlays
WHERE run_id = $1 AND status = 'pending' AND pack_id IS NOT NULL
GROUP BY pack_id ORDER BY min(document_id::text), min(block_index);

-- name: has_unplanned
-- Whether pending overlays wait in no pack (planning never happened or was undone).
SELECT EXISTS (
    SELECT 1 FROM overlays WHERE run_id = $1 AND status = 'pending' AND pack_id IS NULL
);

-- name: retry_failed_overlays
-- Failed overlays start over: pending, no attempts, no pack (the planner packs them again).
-- A failed block a person already reviewed (filled by an edit, or rejected) is theirs: kept.
-- Its flags go, and its revision moves, so no review action made against the failed state
-- applies to what the model stages next.
WITH retried AS (
    UPDATE overlays SET status = 'pending', attempt_count = 0, pack_id = NULL,
        last_error_code = NULL, last_error_message = NULL, settled_at = NULL,
        flags = '{}', review_revision = review_revision + 1, updated_at = now()
    WHERE run_id = $1 AND status = 'failed' AND review_status = 'unreviewed'
    RETURNING 1
)
SELECT count(*) FROM retried;

-- name: lock_run_budget
-- The run's spending cap and ledger, locked against the worker's reservations.
SELECT budget_usd, spent_usd, reserved_usd FROM run_budgets WHERE run_id = $1 FOR UPDATE;

-- name: set_run_budget
-- A new cap; the worker's next reservation sees it (calls reserve against this row).
UPDATE run_budgets SET budget_usd = $2 WHERE run_id = $1;
