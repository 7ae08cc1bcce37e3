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
