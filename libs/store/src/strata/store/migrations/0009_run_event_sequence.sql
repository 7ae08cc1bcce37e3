-- Run events (run.progress, run.completed, run.cancelled) carry a per-run `sequence`: each
-- transaction that emits them takes numbers from this counter under the run's row lock, so a
-- consumer can order a run's events however the broker delivers them.
ALTER TABLE runs ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
