-- name: page_events
-- The caller's events after an id, oldest first; optionally of one project, run or type.
SELECT id AS event_id, type, project_id, run_id, created_at AS event_at, caused_at, payload
FROM events
WHERE account_id = $1 AND id > $2
  AND ($3::uuid IS NULL OR project_id = $3)
  AND ($4::uuid IS NULL OR run_id = $4)
  AND ($5::text IS NULL OR type = $5)
ORDER BY id
LIMIT $6;

-- name: events_since
-- Every event after an id (the fan-out of this gateway process reads each new row once).
SELECT id AS event_id, account_id, type, project_id, run_id, created_at AS event_at, caused_at,
       payload
FROM events WHERE id > $1 ORDER BY id LIMIT $2;

-- name: last_event_id
SELECT coalesce(max(id), 0) FROM events;

-- name: run_tenant
-- The project of one of the caller's runs.
SELECT project_id FROM runs WHERE id = $1 AND account_id = $2;

-- name: run_finished_by
-- Whether the run's completion event is at or before this id.
SELECT EXISTS (
    SELECT 1 FROM events WHERE run_id = $1 AND type = 'run.completed' AND id <= $2
);
