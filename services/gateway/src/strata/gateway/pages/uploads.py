"""Uploads from the project page: a plain multipart form (one or many files) without script;
with script, app.js sends each file on its own request to show its progress."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response

from strata.gateway.domain.uploads import receive_upload
from strata.gateway.pages.common import FIXABLE, wants_fragment
from strata.gateway.pages.render import see_other
from strata.gateway.pages.session import Changing, flash
from strata.gateway.routes.projects import require_project
from strata.gateway.web.deps import Res
from strata.gateway.web.errors import ApiError

router = APIRouter()
MAX_FILES = 50


@router.post("/projects/{project_id}/documents")
async def upload(
    project_id: UUID,
    request: Request,
    session: Changing,
    res: Res,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    await require_project(res.pool, project_id, session.account.id)
    back = f"/app/projects/{project_id}"
    names: list[str] = []
    duplicates = 0
    try:
        if len(files) > MAX_FILES:
            raise ApiError(422, "too_many_files", f"at most {MAX_FILES} files at once")
        for upload_file in files:
            if not upload_file.filename:
                continue  # the browser sends an empty part when nothing was chosen
            _, duplicate = await receive_upload(
                res, account_id=session.account.id, project_id=project_id, upload=upload_file
            )
            names.append(upload_file.filename)
            duplicates += duplicate
    except ApiError as exc:
        if exc.status not in FIXABLE:
            raise
        if wants_fragment(request):
            return PlainTextResponse(exc.message, status_code=exc.status)
        await flash(res, session, exc.message, kind="error")
        return see_other(back)
    if wants_fragment(request):
        return PlainTextResponse("duplicate" if duplicates else "uploaded", status_code=200)
    if not names:
        await flash(res, session, "Choose at least one file to upload.", kind="error")
    else:
        note = f" ({duplicates} already in the project)" if duplicates else ""
        await flash(res, session, f"Uploaded {len(names)} file(s){note}.")
    return see_other(back)
