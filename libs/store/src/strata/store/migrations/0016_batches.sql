-- Deferred runs (issue 16): packs sent to the provider's Message Batches API.
-- Which tier billed a call: 'standard' (one realtime call) or 'batch' (a Message Batch request,
-- half price).
ALTER TABLE llm_calls ADD COLUMN service_tier text NOT NULL DEFAULT 'standard';

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
