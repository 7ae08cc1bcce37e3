-- Live progress and webhooks (issue 12).
-- The run's todo list (convert, plan, extract, review, export), written by the rollup's recount.
ALTER TABLE runs ADD COLUMN stages jsonb;

-- Every notification, once (unique message id), in commit order: `id` is the SSE event id. The
-- notify service inserts rows one transaction at a time (an advisory lock) so a reader that has
-- seen id N never later finds a smaller id committed.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    message_id  uuid NOT NULL UNIQUE,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    run_id      uuid,
    type        text NOT NULL,
    payload     jsonb NOT NULL,
    -- When the change that caused the event was made (the message's occurred_at).
    caused_at   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_account_idx ON events (account_id, id);
CREATE INDEX events_project_idx ON events (project_id, id);
CREATE INDEX events_run_idx ON events (run_id, id) WHERE run_id IS NOT NULL;

-- Webhook subscriptions of a project; the signing secret is sealed (strata.crypto).
CREATE TABLE webhook_subscriptions (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    secret_sealed   bytea NOT NULL,
    master_key_id   text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- Set by the first failed attempt after a success; a day of failures disables it.
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_project_idx ON webhook_subscriptions (project_id, created_at);

-- One delivery per (subscription, event), written with the event row, before any send.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempt_count    integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at);

CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    status_code   integer,
    error         text,
    duration_ms   integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);
