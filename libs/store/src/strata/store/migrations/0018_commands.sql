-- Commands by message (issue 15): each command an integration's message started, keyed by its
-- idempotency key (default: its message id) per account and kind, so a redelivery or a repeat
-- is answered with the first outcome instead of doing the work twice. `answered_at` is set
-- when the command's last answer (document ready/failed, run completed/cancelled) went out;
-- the partial indexes find the commands still waiting on a document or a run. No foreign key
-- to the document or run: a command row is a record of what was asked, kept if they go.
CREATE TABLE commands (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('ingest', 'run')),
    command_key     text NOT NULL,
    correlation_id  text NOT NULL,
    project_id      uuid,
    document_id     uuid,
    run_id          uuid,
    schema_id       uuid,
    duplicate       boolean NOT NULL DEFAULT false,
    answered_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind, command_key)
);
CREATE INDEX commands_waiting_document ON commands (document_id) WHERE answered_at IS NULL;
CREATE INDEX commands_waiting_run ON commands (run_id) WHERE answered_at IS NULL;
