-- The schema workflow (issue 11): a template gallery, idempotent saves, schema versions that
-- remember their template, and runs that are previews or evaluations.

-- A recipe: a builder spec with {{placeholders}} and typed parameters rendered into it. A NULL
-- account_id is a global template (managed by superusers); otherwise it is that account's own.
CREATE TABLE templates (
    id              uuid PRIMARY KEY,
    account_id      uuid REFERENCES accounts (id) ON DELETE CASCADE,
    slug            text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL,
    category        text NOT NULL,
    description     text NOT NULL DEFAULT '',
    example_output  jsonb NOT NULL DEFAULT '{}',
    parameters      jsonb NOT NULL DEFAULT '[]',
    body            jsonb NOT NULL,
    builtin         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_global_slug_idx ON templates (slug) WHERE account_id IS NULL;
CREATE UNIQUE INDEX templates_account_slug_idx ON templates (account_id, slug)
    WHERE account_id IS NOT NULL;

ALTER TABLE schemas
    ADD COLUMN template_id uuid REFERENCES templates (id) ON DELETE SET NULL,
    ADD COLUMN template_params jsonb;

-- A preview is a small real run on a sample; an evaluation re-runs a reviewed run's confirmed
-- blocks (baseline_run_id) with another schema version. Both are billed like any run.
ALTER TABLE runs
    ADD COLUMN kind text NOT NULL DEFAULT 'standard'
        CHECK (kind IN ('standard', 'preview', 'evaluation')),
    ADD COLUMN baseline_run_id uuid REFERENCES runs (id) ON DELETE SET NULL;

-- The first answer to a request carrying an Idempotency-Key, repeated for any retry of it.
CREATE TABLE idempotency_keys (
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key           text NOT NULL,
    scope         text NOT NULL,
    request_hash  text NOT NULL,
    status_code   integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
