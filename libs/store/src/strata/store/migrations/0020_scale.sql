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
-- A claim finds its pack by (run_id, pack_id). With an index on pack_id alone, a new run's
-- stale statistics (it had no overlays at the last analyze) made Postgres AND that index with
-- the primary key's whole run_id range: a claim cost O(run size). Both columns in one index
-- make the pack lookup exact whatever the statistics say.
DROP INDEX overlays_pack_idx;
CREATE INDEX overlays_pack_idx ON overlays (run_id, pack_id) WHERE pack_id IS NOT NULL;
-- The hot tables are vacuumed after a fixed share of their rows changed (20 % by default: one
-- million dead rows in a table of five million); earlier, smaller vacuums keep pages pruned
-- and the visibility map fresh for index-only counts.
ALTER TABLE overlays SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.05);
-- Exact counters from a cheaper source than COUNT(*) over a run's overlays (a million rows per
-- recount at scale): each statement that inserts or updates overlays adds what it changed, per
-- run and status, to `run_tallies`. The trigger sees every writer (worker, rollup, gateway, a
-- person's SQL), so the sums stay exact by construction; the rollup still checks them against
-- COUNT(*) when a run completes. Rows are sharded by backend so concurrent settles of one run
-- never queue for one row's lock; a recount sums at most `shards` rows.
-- No foreign key to runs: its check would take a key-share lock on the run row from inside
-- claims and settles, which then wait on (and deadlock with) the planner's lock on that row.
-- A deleted run's tallies go with it through `runs_drop_tallies`.
CREATE TABLE run_tallies (
    run_id     uuid NOT NULL,
    shard      smallint NOT NULL,
    overlays   bigint NOT NULL DEFAULT 0,
    pending    bigint NOT NULL DEFAULT 0,
    claimed    bigint NOT NULL DEFAULT 0,
    completed  bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    reviewed   bigint NOT NULL DEFAULT 0,
    -- The review counters `GET /runs/{id}` shows (reviewed = confirmed + edited + rejected).
    confirmed  bigint NOT NULL DEFAULT 0,
    edited     bigint NOT NULL DEFAULT 0,
    rejected   bigint NOT NULL DEFAULT 0,
    flagged    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, shard)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 1000);

CREATE FUNCTION tally_overlays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO run_tallies AS t (run_id, shard, overlays, pending, claimed, completed,
                                      failed, reviewed, confirmed, edited, rejected, flagged)
        SELECT run_id, (pg_backend_pid() % 8)::smallint, count(*),
               count(*) FILTER (WHERE status = 'pending'),
               count(*) FILTER (WHERE status = 'claimed'),
               count(*) FILTER (WHERE status = 'ai_complete'),
               count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE review_status <> 'unreviewed'),
               count(*) FILTER (WHERE review_status = 'confirmed'),
               count(*) FILTER (WHERE review_status = 'edited'),
               count(*) FILTER (WHERE review_status = 'rejected'),
               count(*) FILTER (WHERE flags <> '{}')
        FROM new_rows GROUP BY run_id
        ON CONFLICT (run_id, shard) DO UPDATE SET
            overlays = t.overlays + EXCLUDED.overlays, pending = t.pending + EXCLUDED.pending,
            claimed = t.claimed + EXCLUDED.claimed, completed = t.completed + EXCLUDED.completed,
            failed = t.failed + EXCLUDED.failed, reviewed = t.reviewed + EXCLUDED.reviewed,
            confirmed = t.confirmed + EXCLUDED.confirmed, edited = t.edited + EXCLUDED.edited,
            rejected = t.rejected + EXCLUDED.rejected, flagged = t.flagged + EXCLUDED.flagged;
    ELSE
        INSERT INTO run_tallies AS t (run_id, shard, overlays, pending, claimed, completed,
                                      failed, reviewed, confirmed, edited, rejected, flagged)
        SELECT run_id, (pg_backend_pid() % 8)::smallint, 0, sum(d * pending), sum(d * claimed),
               sum(d * completed), sum(d * failed), sum(d * reviewed), sum(d * confirmed),
               sum(d * edited), sum(d * rejected), sum(d * flagged)
        FROM (SELECT run_id, d, (status = 'pending')::int AS pending,
                     (status = 'claimed')::int AS claimed,
                     (status = 'ai_complete')::int AS completed,
                     (status = 'failed')::int AS failed,
                     (review_status <> 'unreviewed')::int AS reviewed,
                     (review_status = 'confirmed')::int AS confirmed,
                     (review_status = 'edited')::int AS edited,
                     (review_status = 'rejected')::int AS rejected,
                     (flags <> '{}')::int AS flagged
              FROM (SELECT run_id, status, review_status, flags, 1 AS d FROM new_rows
                    UNION ALL
                    SELECT run_id, status, review_status, flags, -1 FROM old_rows) AS rows
             ) AS changes
        GROUP BY run_id
        -- A lease renewal or a touch changes no count: no write.
        HAVING sum(d * pending) <> 0 OR sum(d * claimed) <> 0 OR sum(d * completed) <> 0
            OR sum(d * failed) <> 0 OR sum(d * reviewed) <> 0 OR sum(d * confirmed) <> 0
            OR sum(d * edited) <> 0 OR sum(d * rejected) <> 0 OR sum(d * flagged) <> 0
        ON CONFLICT (run_id, shard) DO UPDATE SET
            pending = t.pending + EXCLUDED.pending, claimed = t.claimed + EXCLUDED.claimed,
            completed = t.completed + EXCLUDED.completed, failed = t.failed + EXCLUDED.failed,
            reviewed = t.reviewed + EXCLUDED.reviewed,
            confirmed = t.confirmed + EXCLUDED.confirmed, edited = t.edited + EXCLUDED.edited,
            rejected = t.rejected + EXCLUDED.rejected, flagged = t.flagged + EXCLUDED.flagged;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION drop_run_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM run_tallies WHERE run_id IN (SELECT id FROM gone_runs);
    RETURN NULL;
END $$;

CREATE TRIGGER runs_drop_tallies AFTER DELETE ON runs
    REFERENCING OLD TABLE AS gone_runs FOR EACH STATEMENT EXECUTE FUNCTION drop_run_tallies();
CREATE TRIGGER overlays_tally_insert AFTER INSERT ON overlays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_overlays();
CREATE TRIGGER overlays_tally_update AFTER UPDATE ON overlays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tally_overlays();

-- The runs that exist already start from their overlays as they are.
INSERT INTO run_tallies (run_id, shard, overlays, pending, claimed, completed, failed, reviewed,
                         confirmed, edited, rejected, flagged)
SELECT run_id, 0, count(*), count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status = 'ai_complete'),
       count(*) FILTER (WHERE status = 'failed'),
       count(*) FILTER (WHERE review_status <> 'unreviewed'),
       count(*) FILTER (WHERE review_status = 'confirmed'),
       count(*) FILTER (WHERE review_status = 'edited'),
       count(*) FILTER (WHERE review_status = 'rejected'),
       count(*) FILTER (WHERE flags <> '{}')
FROM overlays GROUP BY run_id;
