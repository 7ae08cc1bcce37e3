-- Provider rate limits (issue 16): every worker's shared mirror of one provider key's token
-- buckets (requests, input and output tokens per minute) for one model, learned from the
-- provider's anthropic-ratelimit-* headers. `bucket` is "platform:<model>" or
-- "key:<provider key id>:<model>" (no key material); `state` is strata.worker.rate_limits'
-- BucketState as JSON. Updated under a row lock before and after each call.
CREATE TABLE provider_rate_limits (
    bucket      text PRIMARY KEY,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
