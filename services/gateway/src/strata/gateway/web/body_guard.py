"""Every request body and query string passes here before any route sees it (pure ASGI).

One place decides, for every route at once:
- a body other than an upload is at most `max_body_bytes`, enforced while reading
  (`413 body_too_large`; a declared Content-Length over the limit is refused unread);
- a JSON body that does not parse is `400 bad_request` (not a validation error of its fields);
- no string in a JSON body (keys included) and no query parameter may hold `\\u0000` or a lone
  surrogate: Postgres stores neither in text or jsonb, so they are refused with
  `422 invalid_request` instead of failing a statement (which answered 500);
- JSON nested deeper than `MAX_JSON_DEPTH` is refused before anything walks it recursively.
Uploads (multipart bodies to a route that takes a file) stream to blob storage under their own
limit, so they pass through untouched.
"""

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strata.gateway.web.errors import error_response

MAX_JSON_DEPTH = 64


class BodyRejectedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI parses a body without a content type as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def unstorable_text(value: str) -> bool:
    """Text Postgres cannot store: NUL, or a lone surrogate (not encodable as UTF-8)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json_value(document: Any) -> None:
    """Raises BodyRejectedError for unstorable text or excessive depth (iterative: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(document, "body", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BodyRejectedError(
                422, "invalid_request", f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            )
        if isinstance(value, str):
            if unstorable_text(value):
                raise BodyRejectedError(
                    422,
                    "invalid_request",
                    f"{where}: text may not contain NUL (\\u0000) or lone surrogates",
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable_text(key):
                    raise BodyRejectedError(
                        422, "invalid_request", f"{where}: a key contains NUL or a lone surrogate"
                    )
                stack.append((item, f"{where}.{key[:40]}", depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))


def check_query(raw: bytes) -> None:
    if b"\x00" in raw or b"%00" in raw.lower():
        raise BodyRejectedError(
            422, "invalid_request", "query: parameters may not contain NUL (%00)"
        )


def parse_json_body(body: bytes) -> None:
    try:
        document = json.loads(body)
    except RecursionError:
        raise BodyRejectedError(422, "invalid_request", "JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BodyRejectedError(400, "bad_request", f"the body is not valid JSON: {exc}") from None
    check_json_value(document)


class BodyGuard:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, is_upload: Callable[[Scope], bool]
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.is_upload = is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        content_type = headers.get("content-type")
        multipart = (content_type or "").lower().startswith("multipart/form-data")
        if multipart and self.is_upload(scope):
            await self.app(scope, receive, send)
            return
        try:
            check_query(scope.get("query_string", b""))
            body = await self._read(headers.get("content-length"), receive)
            if body and _is_json(content_type):
                parse_json_body(body)
        except BodyRejectedError as exc:
            await error_response(exc.status, exc.code, exc.message)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, declared: str | None, receive: Receive) -> bytes:
        limit = self.max_body_bytes
        too_large = BodyRejectedError(
            413, "body_too_large", f"the request body is larger than {limit} bytes"
        )
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app will see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
