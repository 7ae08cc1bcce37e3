-- Review (issue 10): a person confirms, edits or rejects what the model staged.
-- Every action names the revision it was made against; the conditional update on
-- review_revision lets exactly one of two concurrent reviewers win.
-- (0006, exports, may have added flags already: IF NOT EXISTS keeps either order.)
ALTER TABLE overlays
    ADD COLUMN review_revision integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS flags text[] NOT NULL DEFAULT '{}';
-- The review queue's first part (flagged blocks, most flags first), keyset-paged. Partial, so a
-- settle that leaves flags empty changes no indexed value and stays a HOT update.
CREATE INDEX overlays_flagged_idx ON overlays (run_id, (- cardinality(flags)), document_id, block_index)
    WHERE flags <> '{}';

-- One row per review action: who, when, what, from which state to which. Never updated.
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
    -- A revision is reached once: a second safety net behind the conditional update.
    UNIQUE (run_id, document_id, block_index, revision)
);
CREATE INDEX review_events_run_idx ON review_events (run_id, id);
