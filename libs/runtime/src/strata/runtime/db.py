"""asyncpg pool with JSON codecs, and named SQL loaded from `.sql` files."""

import json
import re
from pathlib import Path
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def _reset_connection(conn: asyncpg.Connection) -> None:
    # Strata leaves no session state on pooled connections (no LISTEN, SET, advisory locks or
    # open cursors), so asyncpg's default reset (four statements on every release) is pure
    # overhead on hot paths; only a transaction abandoned mid-way needs undoing.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(dsn: str, *, size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        init=_init_connection,
        reset=_reset_connection,
        command_timeout=60,
    )


_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class Queries:
    """Named statements from a `.sql` file: blocks start with `-- name: <name>`, the next comment
    line describes the statement, and the text up to the next name is its SQL."""

    def __init__(self, statements: dict[str, str]) -> None:
        self._statements = statements

    @classmethod
    def load(cls, path: Path) -> "Queries":
        text = path.read_text()
        parts = _NAME_LINE.split(text)
        statements: dict[str, str] = {}
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in statements:
                raise ValueError(f"{path.name}: query {name!r} is defined twice")
            sql = "\n".join(
                line for line in body.strip().splitlines() if not line.lstrip().startswith("--")
            ).strip()
            if not sql:
                raise ValueError(f"{path.name}: query {name!r} has no SQL")
            statements[name] = sql
        return cls(statements)

    @classmethod
    def load_folder(cls, folder: Path) -> "Queries":
        """Every `*.sql` file of a folder in one namespace; a name defined twice is an error."""
        statements: dict[str, str] = {}
        for path in sorted(folder.glob("*.sql")):
            for name, sql in cls.load(path)._statements.items():
                if name in statements:
                    raise ValueError(f"{path.name}: query {name!r} is defined in another file too")
                statements[name] = sql
        return cls(statements)

    def __getattr__(self, name: str) -> str:
        try:
            return self._statements[name]
        except KeyError:
            raise AttributeError(f"no query named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._statements)
