-- Every overlay is updated three times in a run (planned, claimed, settled) and none of those
-- updates can be HOT, so each index costs a write per update. Every query on overlays is scoped
-- to one run, which the primary key (run_id, document_id, block_index) already serves.
DROP INDEX overlays_run_status_idx;
