"""Documents: uploads, their state, and the blocks conversion made of them."""

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, File, Query, Response, UploadFile

from strata.contracts.blocks import make_block_uid
from strata.gateway.api_models import Block, BlockPage, Document, ErrorBody, Page
from strata.gateway.domain import deletion
from strata.gateway.domain.uploads import receive_upload
from strata.gateway.routes.projects import require_project
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller
from strata.gateway.web.cursors import (
    decode_index_cursor,
    decode_keyset,
    next_keyset,
    split_page,
)
from strata.gateway.web.deps import Cursor, Limit, Res
from strata.gateway.web.errors import not_found

router = APIRouter(tags=["documents"])


def to_document(row: asyncpg.Record, *, duplicate: bool = False) -> Document:
    return Document.model_validate({**dict(row), "duplicate": duplicate})


def to_block(row: asyncpg.Record) -> Block:
    fields: dict[str, Any] = dict(row)
    fields["block_uid"] = make_block_uid(row["document_id"], row["block_index"])
    fields["table"] = fields.pop("table_cells")
    return Block.model_validate(fields)


@router.post(
    "/projects/{project_id}/documents",
    status_code=201,
    responses={200: {"model": Document, "description": "same bytes already in the project"}},
)
async def upload_document(
    project_id: UUID,
    file: Annotated[UploadFile, File(description="the document's bytes")],
    caller: Caller,
    res: Res,
    response: Response,
) -> Document:
    await require_project(res.pool, project_id, caller.id)
    row, duplicate = await receive_upload(
        res, account_id=caller.id, project_id=project_id, upload=file
    )
    if duplicate:
        response.status_code = 200
    return to_document(row, duplicate=duplicate)


@router.get("/projects/{project_id}/documents")
async def list_documents(
    project_id: UUID, caller: Caller, res: Res, limit: Limit, cursor: Cursor = None
) -> Page[Document]:
    """Newest first."""
    after = decode_keyset(cursor)
    await require_project(res.pool, project_id, caller.id)
    rows = await res.pool.fetch(Q.list_documents, project_id, caller.id, *after, limit + 1)
    page, more = split_page(rows, limit)
    return Page[Document](items=[to_document(r) for r in page], next_cursor=next_keyset(page, more))


@router.get("/documents/{document_id}")
async def get_document(document_id: UUID, caller: Caller, res: Res) -> Document:
    row = await res.pool.fetchrow(Q.get_document, document_id, caller.id)
    if row is None:
        raise not_found("document")
    return to_document(row)


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    responses={409: {"model": ErrorBody, "description": "`document_in_use` (runs cover it)"}},
)
async def delete_document(
    document_id: UUID,
    caller: Caller,
    res: Res,
    force: Annotated[bool, Query(description="also delete the runs that cover it")] = False,
) -> Response:
    """The document, its blocks and its file. `409 document_in_use` while runs cover it, unless
    `force=true`: those runs are then cancelled and deleted too (with their exports)."""
    await deletion.delete_document(
        res, document_id=document_id, account_id=caller.id, force=force
    )
    return Response(status_code=204)


@router.get("/documents/{document_id}/blocks")
async def list_blocks(
    document_id: UUID,
    *,
    caller: Caller,
    res: Res,
    limit: Limit,
    cursor: Cursor = None,
) -> BlockPage:
    after = decode_index_cursor(cursor)
    if await res.pool.fetchrow(Q.get_document, document_id, caller.id) is None:
        raise not_found("document")
    rows = await res.pool.fetch(Q.page_blocks, document_id, caller.id, after, limit + 1)
    page, has_more = split_page(rows, limit)
    return BlockPage(
        items=[to_block(r) for r in page],
        next_cursor=page[-1]["block_index"] if has_more else None,
    )
