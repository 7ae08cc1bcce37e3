"""The database admin script `strata-admin` (the operator's, with the database's credentials;
the `strata` command line's `admin` commands run it: they need the database, not the HTTP API).

    strata-admin admin create-account NAME [--superuser]
    strata-admin admin create-project ACCOUNT_ID NAME
    strata-admin admin seed-templates [--update]
    strata-admin admin list-accounts
    strata-admin admin list-tokens ACCOUNT_ID
    strata-admin admin revoke-token TOKEN_ID

create-account prints the new account's API token as the last line of stdout (for scripts),
create-project the new project's id (for an integration that works by message only);
the list commands print one tab-separated line per row with a header; everything meant only for
people goes to stderr. A revoked token answers 401 on its next request.
"""

import argparse
import asyncio
import os
import sys
from uuid import UUID, uuid4

import asyncpg

from strata.gateway.domain.template_seed import seed_builtin
from strata.gateway.sql import Q
from strata.gateway.web.auth import create_account
from strata.runtime.db import create_pool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strata-admin", description="Strata administration")
    groups = parser.add_subparsers(dest="group", required=True)
    admin = groups.add_parser("admin", help="accounts and tokens")
    commands = admin.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-account", help="create an account and its API token")
    create.add_argument("name")
    create.add_argument("--superuser", action="store_true", help="may edit the admin policy")
    project = commands.add_parser("create-project", help="create a project of an account")
    project.add_argument("account_id", type=UUID)
    project.add_argument("name")
    seed = commands.add_parser("seed-templates", help="add the built-in templates to the gallery")
    seed.add_argument("--update", action="store_true", help="also rewrite existing built-ins")
    commands.add_parser("list-accounts", help="every account and its live token count")
    tokens = commands.add_parser("list-tokens", help="an account's tokens (never the secret)")
    tokens.add_argument("account_id", type=UUID)
    revoke = commands.add_parser("revoke-token", help="revoke any token by its id")
    revoke.add_argument("token_id", type=UUID)
    return parser


def _table(header: list[str], rows: list[asyncpg.Record]) -> None:
    print("\t".join(header))
    for row in rows:
        print("\t".join("" if row[h] is None else str(row[h]) for h in header))


async def _run(database_url: str, args: argparse.Namespace) -> int:
    pool = await create_pool(database_url, size=1)
    try:
        if args.command == "create-account":
            account_id, token = await create_account(pool, args.name, args.superuser)
            kind = "superuser account" if args.superuser else "account"
            print(
                f"created {kind} {args.name!r} ({account_id}); its token (shown once):",
                file=sys.stderr,
            )
            print(token)
        elif args.command == "create-project":
            try:
                row = await pool.fetchrow(Q.insert_project, uuid4(), args.account_id, args.name)
            except asyncpg.ForeignKeyViolationError:
                print(f"strata: no account {args.account_id}", file=sys.stderr)
                return 1
            print(f"created project {args.name!r} of account {args.account_id}", file=sys.stderr)
            print(row["id"])
        elif args.command == "seed-templates":
            added, updated = await seed_builtin(pool, update=args.update)
            print(f"built-in templates: {added} added, {updated} updated", file=sys.stderr)
        elif args.command == "list-accounts":
            rows = await pool.fetch(Q.list_accounts)
            _table(["id", "name", "is_superuser", "created_at", "live_tokens"], rows)
        elif args.command == "list-tokens":
            rows = await pool.fetch(Q.account_tokens, args.account_id)
            header = ["id", "name", "hint", "created_at", "expires_at", "last_used_at"]
            _table([*header, "revoked_at"], rows)
        elif args.command == "revoke-token":
            row = await pool.fetchrow(Q.revoke_token_by_id, args.token_id)
            if row is None:
                print(f"strata: no token {args.token_id}", file=sys.stderr)
                return 1
            print(f"revoked token {row['id']} of account {row['account_id']}", file=sys.stderr)
    finally:
        await pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Only the database is needed here, so only its variable is required.
    database_url = os.environ.get("STRATA_DATABASE_URL", "")
    if not database_url.startswith(("postgresql://", "postgres://")):
        print("strata-admin: set STRATA_DATABASE_URL to a postgresql:// URL", file=sys.stderr)
        return 2
    return asyncio.run(_run(database_url, args))


if __name__ == "__main__":
    sys.exit(main())
