-- Cost (issue 16): why the provider could not reuse a cached prompt prefix, per call, as it
-- reported it (`diagnostics.cache_miss_reason.type` in Anthropic's SDK 2.x); null when it
-- reused it, was not asked or gave no diagnosis.
-- And whether the answer was constrained by a JSON Schema (`output_config.format`): false when
-- the run did not ask or the provider refused the schema and the call went without it.
ALTER TABLE llm_calls
    ADD COLUMN cache_miss_reason text,
    ADD COLUMN structured_output boolean NOT NULL DEFAULT false;
