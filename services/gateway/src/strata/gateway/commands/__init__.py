"""Commands by message: an integration starts work (ingest from a blob URI, start a run) by
publishing a command with its account's credential, and follows the answers (README,
"Commands by message"). The gateway process consumes them because it owns the rules they reuse:
token verification, uploads, run creation, templates."""
