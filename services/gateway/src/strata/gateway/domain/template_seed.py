"""The built-in templates (`builtin_templates/*.json`) written into the database, where the
gallery reads them. Run by `strata admin seed-templates` (which `make up` runs): missing ones
are added; `update=True` also rewrites built-ins already there (a superuser's edits included)."""

from pathlib import Path
from uuid import uuid4

import asyncpg

from strata.gateway.domain.template_use import check_doc
from strata.gateway.domain.templates import TemplateDoc
from strata.gateway.sql import Q

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "builtin_templates"


def builtin_templates(directory: Path = BUILTIN_DIR) -> list[TemplateDoc]:
    docs = [
        TemplateDoc.model_validate_json(p.read_text()) for p in sorted(directory.glob("*.json"))
    ]
    for doc in docs:
        check_doc(doc)  # a broken built-in stops the seed instead of reaching the gallery
    return docs


async def seed_builtin(pool: asyncpg.Pool, *, update: bool) -> tuple[int, int]:
    """(added, updated)."""
    added = updated = 0
    async with pool.acquire() as conn, conn.transaction():
        for doc in builtin_templates():
            fields = (
                doc.name,
                doc.category,
                doc.description,
                doc.example_output,
                [p.model_dump(mode="json") for p in doc.parameters],
                doc.body,
            )
            row = await conn.fetchrow(
                Q.insert_template, uuid4(), None, doc.slug, *fields[:3], *fields[3:], True
            )
            if row is not None:
                added += 1
            elif update and await conn.fetchrow(Q.update_template, None, doc.slug, *fields):
                updated += 1
    return added, updated
