"""The database admin script `strata-admin` (the `strata` command line's `admin
create-account` runs it: creating an account needs the database, not the HTTP API).

    strata-admin admin create-account NAME [--superuser]

prints the new account's API token as the last line of stdout (for scripts); everything meant
for people goes to stderr.
"""

import argparse
import asyncio
import os
import sys

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
    return parser


async def _create_account(database_url: str, name: str, *, superuser: bool) -> None:
    pool = await create_pool(database_url, size=1)
    try:
        account_id, token = await create_account(pool, name, superuser)
    finally:
        await pool.close()
    kind = "superuser account" if superuser else "account"
    print(f"created {kind} {name!r} ({account_id}); its token (shown once):", file=sys.stderr)
    print(token)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Only the database is needed here, so only its variable is required.
    database_url = os.environ.get("STRATA_DATABASE_URL", "")
    if not database_url.startswith(("postgresql://", "postgres://")):
        print("strata-admin: set STRATA_DATABASE_URL to a postgresql:// URL", file=sys.stderr)
        return 2
    if args.group == "admin" and args.command == "create-account":
        asyncio.run(_create_account(database_url, args.name, superuser=args.superuser))
    return 0


if __name__ == "__main__":
    sys.exit(main())
