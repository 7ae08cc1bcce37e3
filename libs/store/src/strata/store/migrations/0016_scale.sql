-- Scale (issue 17): a run answers at once and is planned in the background, in chunks.
-- `planning`: the run row and its policy exist, its overlays are still being written (each
-- chunk with its packs' pack.ready, so packs flow before planning ends). `planned_at` is set
-- when the last chunk is written; a run cancelled while planning resumes into `planning`.
-- `plan_step_at`: when a planning step last committed (the sweep re-requests a stalled one).
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('planning', 'pending', 'running', 'complete', 'cancelled'));
ALTER TABLE runs ADD COLUMN planned_at timestamptz, ADD COLUMN plan_step_at timestamptz;
UPDATE runs SET planned_at = created_at;
DROP INDEX runs_active_idx;
CREATE INDEX runs_active_idx ON runs (created_at) WHERE status IN ('planning', 'pending', 'running');
-- Overlays in no pack (after a cancel or a retry-failed): the planner's work list. Partial, so
-- it holds only that open work whatever the history; overlays are born in their pack and a
-- settle keeps pack_id, so claims and settles stay HOT.
CREATE INDEX overlays_unpacked_idx ON overlays (run_id, document_id, block_index)
    WHERE pack_id IS NULL;
-- The hot tables are vacuumed after a fixed share of their rows changed (20 % by default: one
-- million dead rows in a table of five million); earlier, smaller vacuums keep pages pruned
-- and the visibility map fresh for index-only counts.
ALTER TABLE overlays SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.05);
