"""What route handlers receive: the process's resources and the caller's page size."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Query, Request

from strata.gateway.settings import GatewaySettings
from strata.gateway.web.errors import ApiError
from strata.runtime.blobs import BlobStore
from strata.runtime.outbox import Outbox


@dataclass(frozen=True)
class Resources:
    """Opened by the app's lifespan; one per process."""

    settings: GatewaySettings
    pool: asyncpg.Pool
    outbox: Outbox
    blobs: BlobStore


def resources(request: Request) -> Resources:
    return request.app.state.resources


Res = Annotated[Resources, Depends(resources)]


def page_limit(
    res: Res,
    limit: Annotated[
        int, Query(ge=1, description="page size; at most GATEWAY_PAGE_SIZE_MAX (the maximum)")
    ] = 100,
) -> int:
    # The maximum is a setting, so it cannot live in the static Query(le=...) bound: the OpenAPI
    # document gets it from web/openapi.py and the check is here.
    top = res.settings.page_size_max
    if limit > top:
        raise ApiError(422, "invalid_request", f"query.limit: must be at most {top}")
    return limit


Limit = Annotated[int, Depends(page_limit)]
# Parsed by web/cursors.py (400 invalid_cursor), so no length bound here: a long cursor is
# refused there without being echoed.
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
