-- Commands by message (commands/): each accepted command and the answers it still waits for.

-- name: insert_command
-- Record an accepted command; nothing when its key was recorded already (a redelivery, a
-- repeat, or a concurrent twin that committed first). $10: answered already (settled document).
INSERT INTO commands (account_id, kind, command_key, correlation_id, project_id, document_id,
                      run_id, schema_id, duplicate, answered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10::boolean THEN now() END)
ON CONFLICT DO NOTHING
RETURNING command_key;

-- name: get_command
-- The accepted command of this account, kind and key.
SELECT * FROM commands WHERE account_id = $1 AND kind = $2 AND command_key = $3;

-- name: command_document_state
-- The document an ingest command names, held against a concurrent settle until the command
-- is recorded: a settle that commits first is seen here, one that commits later finds the
-- command waiting.
SELECT status, block_count, error_code, error_message FROM documents WHERE id = $1 FOR SHARE;

-- name: answer_document_commands
-- The commands waiting on this document, now answered (once: a redelivered event finds none).
UPDATE commands SET answered_at = now()
WHERE document_id = $1 AND answered_at IS NULL
RETURNING *;

-- name: answer_run_commands
-- The commands waiting on this run, now answered.
UPDATE commands SET answered_at = now()
WHERE run_id = $1 AND answered_at IS NULL
RETURNING *;

-- name: run_project
-- The project of a run just created (a run's answers name it).
SELECT project_id FROM runs WHERE id = $1;
