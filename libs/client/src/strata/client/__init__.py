"""A thin synchronous client for Strata's HTTP API. It knows the routes, not the services."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from strata.client.account import AccountMethods
from strata.client.review import ReviewMethods

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER_S = 60.0


class StrataApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        # The error's `details`: one entry per bad template parameter, the latest version on
        # 409 stale_version, the block as it is now (`current`) on 409 stale_revision.
        self.details = details if details is not None else {}
        # The answer's X-Request-ID, to find the server's log lines of this request.
        self.request_id: str | None = None


class StrataClient(AccountMethods, ReviewMethods):
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        for _ in range(RATE_LIMIT_RETRIES):
            # 429 rate_limited says when to come back; a short wait is retried, a long one raised.
            retry_after = response.headers.get("retry-after", "")
            if response.status_code != 429 or not retry_after.isdigit():
                break
            if float(retry_after) > MAX_RETRY_AFTER_S:
                break
            time.sleep(float(retry_after))
            response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                failure = StrataApiError(
                    response.status_code, error["code"], error["message"], error.get("details")
                )
                failure.request_id = error.get("request_id")
                raise failure
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

    # The schema workflow: builder, check, versions, templates, preview, compare, evaluate.

    def _idempotent(self, key: str | None) -> dict[str, str]:
        return {"Idempotency-Key": key} if key else {}

    def builder_schema(self, builder: dict[str, Any]) -> dict[str, Any]:
        """Fields → the definition and prompt_config a save would store, with the check."""
        return self.request("POST", "/v1/builder/schema", json=builder)

    def builder_fields(
        self, definition: dict[str, Any], prompt_config: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"definition": definition, "prompt_config": prompt_config}
        return self.request("POST", "/v1/builder/fields", json=body)

    def check_schema(self, body: dict[str, Any]) -> dict[str, Any]:
        """`{"definition", "prompt_config"}` or `{"builder"}` → pass / warn / fail."""
        return self.request("POST", "/v1/builder/check", json=body)

    def schema(self, schema_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/schemas/{schema_id}")

    def save_version(
        self, schema_id: str, body: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """`body`: `base_version` plus `definition` (+ `prompt_config`) or `builder`."""
        headers = self._idempotent(idempotency_key)
        return self.request("POST", f"/v1/schemas/{schema_id}/versions", json=body, headers=headers)

    def fork_schema(
        self, schema_id: str, name: str, *, project_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if project_id:
            body["project_id"] = project_id
        return self.request("POST", f"/v1/schemas/{schema_id}/fork", json=body)

    def schema_fields(self, schema_id: str, version: int) -> dict[str, Any]:
        return self.request("GET", f"/v1/schemas/{schema_id}/versions/{version}/fields")

    def schema_diff(self, schema_id: str, from_version: int, to_version: int) -> dict[str, Any]:
        params = {"from": from_version, "to": to_version}
        return self.request("GET", f"/v1/schemas/{schema_id}/diff", params=params)

    def templates(self, category: str | None = None) -> list[dict[str, Any]]:
        params = {"category": category} if category else {}
        return self.request("GET", "/v1/templates", params=params)["items"]

    def template(self, slug: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/templates/{slug}")

    def render_template(self, slug: str, parameters: dict[str, Any]) -> dict[str, Any]:
        body = {"parameters": parameters}
        return self.request("POST", f"/v1/templates/{slug}/render", json=body)

    def instantiate_template(
        self,
        slug: str,
        *,
        project_id: str,
        parameters: dict[str, Any] | None = None,
        name: str | None = None,
        run_document_ids: list[str] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """`{"schema": ..., "run": ... or None}`; with `run_document_ids` a run starts too."""
        body: dict[str, Any] = {"project_id": project_id, "parameters": parameters or {}}
        if name:
            body["name"] = name
        if run_document_ids:
            body["run"] = {"document_ids": run_document_ids}
        headers = self._idempotent(idempotency_key)
        return self.request("POST", f"/v1/templates/{slug}/instantiate", json=body, headers=headers)

    def save_as_template(self, schema_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/v1/schemas/{schema_id}/template", json=body)

    def preview(
        self,
        schema_id: str,
        document_id: str,
        *,
        first_blocks: int | None = None,
        block_indexes: list[int] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"document_id": document_id}
        if first_blocks is not None:
            body["first_blocks"] = first_blocks
        if block_indexes is not None:
            body["block_indexes"] = block_indexes
        return self.request("POST", f"/v1/schemas/{schema_id}/preview", json=body)

    def compare_runs(self, run_id: str, other_run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/runs/{run_id}/compare/{other_run_id}")

    def evaluate(self, schema_id: str, reviewed_run_id: str) -> dict[str, Any]:
        body = {"schema_id": schema_id, "reviewed_run_id": reviewed_run_id}
        return self.request("POST", "/v1/evaluations", json=body)

    def evaluation(self, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/evaluations/{run_id}")

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
        # Followed to a presigned storage URL when the deployment redirects downloads; httpx
        # drops the Authorization header on a redirect to another origin.
        url = f"/v1/exports/{export_id}/download"
        with self._http.stream("GET", url, follow_redirects=True) as response:
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
