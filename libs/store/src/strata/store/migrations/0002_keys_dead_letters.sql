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
