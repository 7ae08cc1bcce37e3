-- API hygiene (issue 9): named tokens that expire and are revoked, and a per-account request
-- counter shared by every gateway process (fixed one-minute windows).
ALTER TABLE api_tokens
    ADD COLUMN name text,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz;
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id, created_at);

CREATE TABLE rate_limits (
    account_id    uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    window_start  timestamptz NOT NULL,
    requests      integer NOT NULL
);
