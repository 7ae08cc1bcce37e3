-- Web app sessions (issue 13): the cookie holds a random session id; only its sha256 is stored,
-- with the hash of the API token the person signed in with (never the token itself). Every page
-- request checks that token as the API would, so revoking it ends the session at once.
CREATE TABLE web_sessions (
    id_hash     text PRIMARY KEY,
    token_hash  text NOT NULL REFERENCES api_tokens (token_hash) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    flash       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
