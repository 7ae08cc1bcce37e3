"""The OpenAPI document says what the running API accepts, and the plumbing reads it back.

Bounds that come from settings cannot be written in a static `Query(le=...)`, so they are put in
the generated document here, once, from the settings the app was built with. The document is
also the one list of every path and its methods (the `Allow` header of a 405) and of the routes
that take an upload (exempt from the JSON body limit), so neither is maintained by hand."""

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import compile_path

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass(frozen=True)
class PathMethods:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    uploads: frozenset[str]  # methods whose body is multipart/form-data


def install_openapi(app: FastAPI, *, page_size_max: int) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    for parameter in operation.get("parameters", []):
                        if parameter.get("name") == "limit" and parameter.get("in") == "query":
                            parameter["schema"]["maximum"] = page_size_max
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def path_methods(document: dict[str, Any]) -> list[PathMethods]:
    found = []
    for template, item in document.get("paths", {}).items():
        methods = {m.upper() for m in item if m in _METHODS}
        if "GET" in methods:
            methods.add("HEAD")  # served for every GET route
        uploads = {
            m.upper()
            for m, operation in item.items()
            if m in _METHODS
            and "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
        }
        pattern, _, _ = compile_path(template)
        found.append(PathMethods(pattern, frozenset(methods), frozenset(uploads)))
    return found


def allowed_methods(table: list[PathMethods], path: str) -> set[str]:
    return {m for entry in table if entry.pattern.match(path) for m in entry.methods}


def is_upload(table: list[PathMethods], path: str, method: str) -> bool:
    return any(entry.pattern.match(path) and method in entry.uploads for entry in table)
