"""The builder and the compatibility check: stateless conversions a page calls while a person
edits, before anything is saved."""

import asyncio
from typing import Any

from fastapi import APIRouter

from strata.gateway.api_models_schemas import (
    BuilderPreviewOut,
    BuilderReading,
    CheckOut,
    CheckRequest,
    SchemaContentOut,
)
from strata.gateway.domain.builder import from_schema, to_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.schema_check import CheckResult, check
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter(tags=["builder"])


def check_out(result: CheckResult) -> CheckOut:
    return CheckOut.model_validate(
        {
            "verdict": result.verdict,
            "reasons": [vars(f) for f in result.findings],
            "prompt_tokens": result.prompt_tokens,
            "block_room_tokens": result.block_room_tokens,
            "builder_unsupported": result.builder_unsupported,
        }
    )


async def check_content(
    res: Res, definition: dict[str, Any], prompt: dict[str, Any] | None
) -> CheckOut:
    settings = await res.pool.fetchval(Q.policy_settings)
    # In a thread: checking an untrusted schema is CPU-bound (see routes/schemas.py).
    result = await asyncio.to_thread(
        check,
        definition=definition,
        prompt_config=prompt,
        admin_settings=settings,
        limits=res.settings.schema_limits,
    )
    return check_out(result)


@router.post("/builder/schema")
async def builder_schema(body: BuilderSpec, _: Caller, res: Res) -> BuilderPreviewOut:
    """Fields → the JSON Schema and prompt_config a save would store, with the check's verdict."""
    definition, prompt_config = to_schema(body)
    return BuilderPreviewOut(
        definition=definition,
        prompt_config=prompt_config,
        check=await check_content(res, definition, prompt_config),
    )


@router.post("/builder/fields")
async def builder_fields(body: SchemaContentOut, _: Caller) -> BuilderReading:
    """JSON Schema → fields, or the keywords that keep it JSON-only."""
    reading = from_schema(body.definition, body.prompt_config)
    return BuilderReading(
        editable=reading.spec is not None, builder=reading.spec, unsupported=reading.unsupported
    )


@router.post("/builder/check")
# The first path, kept for one version without being documented: it shares its shape with
# `/schemas/{schema_id}`, where it belongs to no schema.
@router.post("/schemas/check", include_in_schema=False)
async def check_schema(body: CheckRequest, _: Caller, res: Res) -> CheckOut:
    """pass / warn / fail with reasons: runnable, fits the policy's budgets, safe, exportable."""
    if (body.definition is None) == (body.builder is None):
        raise ApiError(422, "invalid_request", "give exactly one of definition and builder")
    if body.builder is not None:
        definition, prompt_config = to_schema(body.builder)
        return await check_content(res, definition, prompt_config)
    assert body.definition is not None
    return await check_content(res, body.definition, body.prompt_config)
