-- Reference schema: what migrating from zero must produce (a test checks it).

CREATE TABLE accounts (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    is_superuser  boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,
    hint        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    name        text,
    expires_at  timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id, created_at);

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_account_idx ON projects (account_id, created_at);

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    filename        text NOT NULL,
    content_type    text,
    byte_size       bigint NOT NULL,
    sha256          text NOT NULL,
    blob_key        text NOT NULL,
    source_format   text,
    status          text NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'converting', 'ready', 'failed')),
    error_code      text,
    error_message   text,
    block_count     integer,
    conversion_path text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- W3C traceparent of the conversion span (a child of the upload's trace); pack spans link it.
    trace_context   text
);
-- Identical bytes within a project are one document (race-free dedupe at upload).
CREATE UNIQUE INDEX documents_project_sha_idx ON documents (project_id, sha256);

CREATE TABLE blocks (
    document_id     uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    block_index     integer NOT NULL,
    block_type      text NOT NULL,
    text            text NOT NULL,
    section_path    text[] NOT NULL DEFAULT '{}',
    page_start      integer,
    page_end        integer,
    bbox            jsonb,
    table_cells     jsonb,
    token_estimate  integer NOT NULL DEFAULT 0,
    list_level      smallint,
    ocr_confidence  real,
    line_boxes      jsonb,
    PRIMARY KEY (document_id, block_index)
);

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

CREATE TABLE schemas (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           text NOT NULL,
    version        integer NOT NULL,
    parent_id      uuid REFERENCES schemas (id),
    definition     jsonb NOT NULL,
    prompt_config  jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- The template (and its parameters) this version was instantiated from, if any.
    template_id    uuid REFERENCES templates (id) ON DELETE SET NULL,
    template_params jsonb,
    UNIQUE (project_id, name, version)
);

-- The admin policy; one row. A run copies it (plus overrides) into runs.policy.
CREATE TABLE policies (
    id          smallint PRIMARY KEY CHECK (id = 1),
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES accounts (id)
);
INSERT INTO policies (id, settings) VALUES (1, '{}');

CREATE TABLE runs (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id        uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    schema_id         uuid NOT NULL REFERENCES schemas (id),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('planning', 'pending', 'running', 'complete', 'cancelled')),
    status_reason     text,
    policy            jsonb NOT NULL,
    total_blocks      integer NOT NULL DEFAULT 0,
    completed_blocks  integer NOT NULL DEFAULT 0,
    failed_blocks     integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    completed_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- A preview is a small real run on a sample; an evaluation re-runs a reviewed run's
    -- confirmed blocks (baseline_run_id) with another schema version. Both are billed.
    kind              text NOT NULL DEFAULT 'standard'
                      CHECK (kind IN ('standard', 'preview', 'evaluation')),
    baseline_run_id   uuid REFERENCES runs (id) ON DELETE SET NULL,
    -- The last `sequence` given to one of the run's events (run.progress/completed/cancelled).
    event_seq         bigint NOT NULL DEFAULT 0,
    -- The run's todo list (convert, plan, extract, review, export), written by the recount.
    stages            jsonb,
    -- When background planning wrote the run's last overlay (NULL while `planning`).
    planned_at        timestamptz,
    -- When a planning step last committed (the rollup re-requests planning that stalled).
    plan_step_at      timestamptz
);
CREATE INDEX runs_project_idx ON runs (project_id, created_at);
CREATE INDEX runs_active_idx ON runs (created_at) WHERE status IN ('planning', 'pending', 'running');

CREATE TABLE run_documents (
    run_id       uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    document_id  uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, document_id)
);

CREATE TABLE overlays (
    run_id              uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    document_id         uuid NOT NULL,
    block_index         integer NOT NULL,
    -- The pack the worker planned (or re-planned on a split) this block into.
    pack_id             uuid,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'claimed', 'ai_complete', 'failed')),
    staged              jsonb,
    confirmed           jsonb,
    review_status       text NOT NULL DEFAULT 'unreviewed'
                        CHECK (review_status IN ('unreviewed', 'confirmed', 'edited', 'rejected')),
    -- Bumped by every review action (and by retry-failed): actions name the revision they saw.
    review_revision     integer NOT NULL DEFAULT 0,
    -- `<kind>:<field path>` set when the block settles (strata.planning.flags).
    flags               text[] NOT NULL DEFAULT '{}',
    attempt_count       integer NOT NULL DEFAULT 0,
    claimed_by          text,
    claim_expires_at    timestamptz,
    last_error_code     text,
    last_error_message  text,
    settled_at          timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- The pack span that last settled this block (hex): block uid → trace → every span.
    trace_id            text,
    span_id             text,
    PRIMARY KEY (run_id, document_id, block_index),
    FOREIGN KEY (document_id, block_index) REFERENCES blocks (document_id, block_index),
    -- A claim always carries its owner and lease; nothing else does.
    CHECK ((status = 'claimed') = (claimed_by IS NOT NULL AND claim_expires_at IS NOT NULL))
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
-- A claim's pack: both columns, so the lookup stays exact on a new run's stale statistics.
CREATE INDEX overlays_pack_idx ON overlays (run_id, pack_id) WHERE pack_id IS NOT NULL;
-- Overlays in no pack (after a cancel or a retry-failed): the planner's small work list.
CREATE INDEX overlays_unpacked_idx ON overlays (run_id, document_id, block_index)
    WHERE pack_id IS NULL;
-- The review queue's flagged part, keyset-paged; partial so an unflagged settle stays HOT.
CREATE INDEX overlays_flagged_idx ON overlays (run_id, (- cardinality(flags)), document_id, block_index)
    WHERE flags <> '{}';

-- Exact per-run overlay counts kept by a statement trigger on overlays (sharded by backend):
-- the rollup's cheap source, checked against COUNT(*) when a run completes.
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

CREATE TABLE llm_calls (
    id                           uuid PRIMARY KEY,
    run_id                       uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pack_id                      uuid,
    block_uids                   text[] NOT NULL,
    model                        text NOT NULL,
    input_tokens                 integer NOT NULL DEFAULT 0,
    output_tokens                integer NOT NULL DEFAULT 0,
    cache_creation_input_tokens  integer NOT NULL DEFAULT 0,
    cache_read_input_tokens      integer NOT NULL DEFAULT 0,
    cost_usd                     numeric(14, 8) NOT NULL DEFAULT 0,
    latency_ms                   integer NOT NULL,
    stop_reason                  text,
    error_code                   text,
    error_message                text,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    cache_miss_reason            text,
    structured_output            boolean NOT NULL DEFAULT false,
    -- 'standard' (a realtime call) or 'batch' (a Message Batch request, half price)
    service_tier                 text NOT NULL DEFAULT 'standard',
    answer_form                  text NOT NULL DEFAULT 'full'
        CHECK (answer_form IN ('full', 'sparse', 'rows'))
);
CREATE INDEX llm_calls_run_idx ON llm_calls (run_id, created_at);

CREATE TABLE exports (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Run and document scope name the run; project scope spans runs of one schema.
    run_id         uuid REFERENCES runs (id) ON DELETE CASCADE,
    scope          text NOT NULL DEFAULT 'run' CHECK (scope IN ('run', 'document', 'project')),
    content        text NOT NULL DEFAULT 'confirmed'
                   CHECK (content IN ('confirmed', 'staged', 'merged')),
    document_id    uuid REFERENCES documents (id) ON DELETE CASCADE,
    schema_id      uuid REFERENCES schemas (id) ON DELETE CASCADE,
    format         text NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    blob_key       text,
    row_count      integer,
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    CONSTRAINT exports_format_check CHECK (format IN ('jsonl', 'csv', 'xlsx', 'md')),
    CONSTRAINT exports_scope_fields_check CHECK (
        (scope = 'run' AND run_id IS NOT NULL AND document_id IS NULL)
        OR (scope = 'document' AND run_id IS NOT NULL AND document_id IS NOT NULL)
        OR (scope = 'project' AND run_id IS NULL AND schema_id IS NOT NULL)
    )
);
CREATE INDEX exports_run_idx ON exports (run_id, created_at) WHERE run_id IS NOT NULL;
CREATE INDEX exports_project_idx ON exports (project_id, created_at);

-- Transactional outbox: a message row commits with the change that caused it; the producer
-- publishes it after commit and a relay re-publishes whatever a crash left behind.
CREATE TABLE outbox (
    id            uuid PRIMARY KEY,
    producer      text NOT NULL,
    routing_key   text NOT NULL,
    payload       jsonb NOT NULL,
    headers       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE INDEX outbox_unpublished_idx ON outbox (producer, created_at) WHERE published_at IS NULL;

-- Lifecycle (issue 4): user provider keys (envelope-encrypted) and a copy of every dead letter.
-- An account's own provider keys. The secret is sealed with a per-secret data key wrapped by the
-- master key (STRATA_MASTER_KEY); only its last characters (`hint`) are ever shown.
CREATE TABLE provider_keys (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider        text NOT NULL CHECK (provider IN ('anthropic', 'openai_compatible')),
    label           text,
    base_url        text,
    hint            text NOT NULL,
    secret_sealed   bytea NOT NULL,
    master_key_id   text NOT NULL,
    status          text NOT NULL DEFAULT 'unvalidated'
                    CHECK (status IN ('unvalidated', 'valid', 'invalid')),
    status_message  text,
    validated_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_keys_account_idx ON provider_keys (account_id, created_at);

-- Messages a consumer gave up on, copied from the queue strata.dead-letters by the rollup
-- service with the reason the consumer wrote in their headers.
CREATE TABLE dead_letters (
    id           uuid PRIMARY KEY,
    message_id   text,
    queue        text,
    routing_key  text NOT NULL,
    error_code   text,
    error        text,
    payload      jsonb NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    received_at  timestamptz NOT NULL DEFAULT now()
);
-- A dead letter delivered twice to the copier is stored once.
CREATE UNIQUE INDEX dead_letters_message_idx ON dead_letters (message_id, queue);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at, id);

-- Who changed the admin policy, when, from what to what.
CREATE TABLE policy_audit (
    id            bigserial PRIMARY KEY,
    changed_by    uuid NOT NULL REFERENCES accounts (id),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    changed_keys  text[] NOT NULL,
    old_settings  jsonb NOT NULL,
    new_settings  jsonb NOT NULL
);
CREATE INDEX policy_audit_changed_at_idx ON policy_audit (changed_at, id);

-- A run's money: the worker reserves a call's worst case (input + max_tokens) before calling and
-- settles the billed cost after, in single-row conditional updates, so concurrent workers can
-- never take a run past budget_usd.
CREATE TABLE run_budgets (
    run_id        uuid PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    budget_usd    numeric(14, 8) NOT NULL,
    reserved_usd  numeric(14, 8) NOT NULL DEFAULT 0 CHECK (reserved_usd >= 0),
    spent_usd     numeric(14, 8) NOT NULL DEFAULT 0
);

-- Live progress and webhooks (issue 12).
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

-- Review (issue 10): one row per action a person takes on a block. Never updated.
CREATE TABLE review_events (
    id           bigserial PRIMARY KEY,
    run_id       uuid NOT NULL,
    document_id  uuid NOT NULL,
    block_index  integer NOT NULL,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_id     uuid REFERENCES api_tokens (id) ON DELETE SET NULL,
    action       text NOT NULL CHECK (action IN ('confirm', 'edit', 'reject', 'reopen')),
    before       jsonb NOT NULL,
    after        jsonb NOT NULL,
    revision     integer NOT NULL,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (run_id, document_id, block_index)
        REFERENCES overlays (run_id, document_id, block_index) ON DELETE CASCADE,
    UNIQUE (run_id, document_id, block_index, revision)
);
CREATE INDEX review_events_run_idx ON review_events (run_id, id);

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

CREATE TABLE web_sessions (
    id_hash     text PRIMARY KEY,
    token_hash  text NOT NULL REFERENCES api_tokens (token_hash) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    flash       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- Requests per account in the current fixed window (GATEWAY_RATE_LIMIT_PER_MINUTE), one row per
-- account, so every gateway process counts against the same limit.
CREATE TABLE rate_limits (
    account_id    uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    window_start  timestamptz NOT NULL,
    requests      integer NOT NULL
);

-- Deferred runs: Message Batches and the packs in them.
-- One Message Batch: created here before it is sent ('submitting'), then polled from this row
-- ('in_progress') by whichever worker holds its lease, until its results are settled ('ended').
-- The lease is held only while one worker submits or polls it: a worker that dies leaves it to
-- the next one once `lease_expires_at` passes.
CREATE TABLE provider_batches (
    id                 uuid PRIMARY KEY,
    run_id             uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    provider_batch_id  text,
    state              text NOT NULL DEFAULT 'submitting'
                       CHECK (state IN ('submitting', 'in_progress', 'ended')),
    request_count      integer NOT NULL,
    cancel_requested   boolean NOT NULL DEFAULT false,
    lease_owner        text,
    lease_expires_at   timestamptz,
    next_poll_at       timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    submitted_at       timestamptz,
    ended_at           timestamptz
);
CREATE INDEX provider_batches_due_idx ON provider_batches (next_poll_at) WHERE state <> 'ended';
CREATE INDEX provider_batches_run_idx ON provider_batches (run_id);

-- One pack of a deferred run on its way through a batch. Its blocks are claimed by
-- 'batch:<id>' (with a lease longer than a batch can live), so the ordinary lease reaper leaves
-- them alone and only this request's result can settle them. custom_id = pack_id.
CREATE TABLE batch_requests (
    id            uuid PRIMARY KEY,
    run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pack_id       uuid NOT NULL,
    split_depth   integer NOT NULL DEFAULT 0,
    batch_id      uuid REFERENCES provider_batches (id) ON DELETE SET NULL,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'submitted', 'settled', 'dropped')),
    reserved_usd  numeric(14, 8),
    queued_at     timestamptz NOT NULL DEFAULT now(),
    settled_at    timestamptz
);
CREATE INDEX batch_requests_queued_idx ON batch_requests (queued_at) WHERE state = 'queued';
CREATE INDEX batch_requests_batch_idx ON batch_requests (batch_id);

-- Commands an integration's messages started (ingest.requested, run.requested), keyed by their
-- idempotency key per account and kind; `answered_at` once the last answer went out.
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

-- Every worker's shared mirror of a provider key's rate-limit buckets, per model (issue 16):
-- strata.worker.limiter updates it under a row lock before and after each call.
CREATE TABLE provider_rate_limits (
    bucket      text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
