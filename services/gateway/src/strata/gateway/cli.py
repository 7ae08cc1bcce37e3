"""The `strata` admin command line.

    strata admin create-account NAME [--superuser]
    strata admin seed-templates [--update]

prints the new account's API token as the last line of stdout (for scripts); everything meant
for people goes to stderr.
"""

import argparse
import asyncio
import os
import sys

from strata.gateway.domain.template_seed import seed_builtin
from strata.gateway.web.auth import create_account
from strata.runtime.db import create_pool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strata", description="Strata administration")
    groups = parser.add_subparsers(dest="group", required=True)
    admin = groups.add_parser("admin", help="accounts and tokens")
    commands = admin.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-account", help="create an account and its API token")
    create.add_argument("name")
    create.add_argument("--superuser", action="store_true", help="may edit the admin policy")
    seed = commands.add_parser("seed-templates", help="add the built-in templates to the gallery")
    seed.add_argument("--update", action="store_true", help="also rewrite existing built-ins")
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


async def _seed_templates(database_url: str, *, update: bool) -> None:
    pool = await create_pool(database_url, size=1)
    try:
        added, updated = await seed_builtin(pool, update=update)
    finally:
        await pool.close()
    print(f"built-in templates: {added} added, {updated} updated", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Only the database is needed here, so only its variable is required.
    database_url = os.environ.get("STRATA_DATABASE_URL", "")
    if not database_url.startswith(("postgresql://", "postgres://")):
        print("strata: set STRATA_DATABASE_URL to a postgresql:// URL", file=sys.stderr)
        return 2
    if args.group == "admin" and args.command == "create-account":
        asyncio.run(_create_account(database_url, args.name, superuser=args.superuser))
    if args.group == "admin" and args.command == "seed-templates":
        asyncio.run(_seed_templates(database_url, update=args.update))
    return 0


if __name__ == "__main__":
    sys.exit(main())
