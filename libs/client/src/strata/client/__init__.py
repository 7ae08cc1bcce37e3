"""A thin synchronous client for Strata's HTTP API. It knows the routes, not the services."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from strata.client.review import ReviewMethods


class StrataApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        # The rest of the error object, e.g. `current` on 409 stale_revision.
        self.details = details or {}


class StrataClient(ReviewMethods):
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = dict(response.json()["error"])
                code, message = error.pop("code"), error.pop("message")
                raise StrataApiError(response.status_code, code, message, error)
            except (ValueError, KeyError, TypeError):
                raise StrataApiError(response.status_code, "http_error", response.text) from None
        return response.json() if response.content else None

    def create_project(self, name: str) -> dict[str, Any]:
        return self.request("POST", "/v1/projects", json={"name": name})

    def upload(
        self, project_id: str, path: Path, *, content_type: str | None = None
    ) -> dict[str, Any]:
        with path.open("rb") as fh:
            files = {"file": (path.name, fh, content_type or "application/octet-stream")}
            return self.request("POST", f"/v1/projects/{project_id}/documents", files=files)

    def document(self, document_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/documents/{document_id}")

    def converted(self, document_id: str, *, timeout_s: float = 120) -> dict[str, Any]:
        """Wait until the document is `ready` or `failed`, and return it."""
        return wait_for(
            lambda: self.document(document_id),
            lambda d: d["status"] in ("ready", "failed"),
            timeout_s=timeout_s,
            what=f"document {document_id} converted",
        )

    def blocks(self, document_id: str, *, page_size: int = 200) -> Iterator[dict[str, Any]]:
        yield from self._paged(f"/v1/documents/{document_id}/blocks", page_size)

    def create_schema(self, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/v1/projects/{project_id}/schemas", json=body)

    def create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/v1/runs", json=body)

    def run(self, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/runs/{run_id}")

    def overlays(self, run_id: str, *, page_size: int = 500) -> Iterator[dict[str, Any]]:
        yield from self._paged(f"/v1/runs/{run_id}/overlays", page_size)

    def request_export(
        self,
        run_id: str,
        fmt: str = "jsonl",
        *,
        content: str = "confirmed",
        document_id: str | None = None,
    ) -> dict[str, Any]:
        """Export a run (or, with `document_id`, one document of it): jsonl, csv, xlsx or md;
        confirmed, staged or merged values."""
        body: dict[str, Any] = {"format": fmt, "content": content}
        if document_id is not None:
            body["document_id"] = document_id
        return self.request("POST", f"/v1/runs/{run_id}/exports", json=body)

    def request_project_export(
        self, project_id: str, schema_id: str, fmt: str = "jsonl", *, content: str = "confirmed"
    ) -> dict[str, Any]:
        """Export a project for one schema version: the latest value of every block across
        that schema's runs, each row saying which run it came from."""
        body = {"schema_id": schema_id, "format": fmt, "content": content}
        return self.request("POST", f"/v1/projects/{project_id}/exports", json=body)

    def export(self, export_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/exports/{export_id}")

    def exported(self, export_id: str, *, timeout_s: float = 120) -> dict[str, Any]:
        """Wait until the export is `ready` or `failed`, and return it."""
        return wait_for(
            lambda: self.export(export_id),
            lambda e: e["status"] != "pending",
            timeout_s=timeout_s,
            what=f"export {export_id} built",
        )

    def exports(
        self, *, run_id: str | None = None, project_id: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """A run's or a project's exports, newest first."""
        if (run_id is None) == (project_id is None):
            raise ValueError("give exactly one of run_id and project_id")
        owner = f"/v1/runs/{run_id}" if run_id else f"/v1/projects/{project_id}"
        yield from self._paged(f"{owner}/exports", page_size)

    def delete_export(self, export_id: str) -> None:
        self.request("DELETE", f"/v1/exports/{export_id}")

    def export_to(self, export_id: str, target: Path, *, timeout_s: float = 120) -> Path:
        """Wait for the export, then download it to `target`; raises if it failed."""
        export = self.exported(export_id, timeout_s=timeout_s)
        if export["status"] != "ready":
            raise StrataApiError(409, "export_failed", export.get("error_message") or "failed")
        return self.download_export(export_id, target)

    def download_export(self, export_id: str, target: Path) -> Path:
        with self._http.stream("GET", f"/v1/exports/{export_id}/download") as response:
            if response.status_code >= 400:
                response.read()
                raise StrataApiError(response.status_code, "download_failed", response.text)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return target

    def _paged(self, path: str, page_size: int) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if cursor is not None:
                params["cursor"] = cursor
            page = self.request("GET", path, params=params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if cursor is None:
                return


def wait_for(
    fetch: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    *,
    timeout_s: float,
    every_s: float = 0.2,
    what: str = "condition",
) -> dict[str, Any]:
    """Poll `fetch` until `done` says so; raises TimeoutError naming `what` and the last state."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = fetch()
        if done(state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout_s}s; last state: {state}")
        time.sleep(every_s)
