"""Lists, deletes and API tokens of the client. Mixed into `StrataClient`; they only need its
`request`. Lists walk every page (`cursor`/`next_cursor`) lazily."""

from collections.abc import Iterator
from typing import Any, Protocol


class _Requests(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


def paged(client: _Requests, path: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
    cursor: Any = None
    while True:
        params: dict[str, Any] = {"limit": page_size, **({"cursor": cursor} if cursor else {})}
        page = client.request("GET", path, params=params)
        yield from page["items"]
        cursor = page.get("next_cursor")
        if cursor is None:
            return


class AccountMethods:
    def projects(self: _Requests) -> Iterator[dict[str, Any]]:
        """The account's projects, newest first."""
        return paged(self, "/v1/projects")

    def documents(self: _Requests, project_id: str) -> Iterator[dict[str, Any]]:
        return paged(self, f"/v1/projects/{project_id}/documents")

    def runs(self: _Requests, project_id: str) -> Iterator[dict[str, Any]]:
        return paged(self, f"/v1/projects/{project_id}/runs")

    def schema_versions(self: _Requests, schema_id: str) -> Iterator[dict[str, Any]]:
        """Every version of the schema's name, oldest first."""
        return paged(self, f"/v1/schemas/{schema_id}/versions")

    def delete_project(self: _Requests, project_id: str) -> None:
        self.request("DELETE", f"/v1/projects/{project_id}")

    def delete_document(self: _Requests, document_id: str, *, force: bool = False) -> None:
        """`force` also deletes the runs that cover it (409 document_in_use otherwise)."""
        params = {"force": "true"} if force else {}
        self.request("DELETE", f"/v1/documents/{document_id}", params=params)

    def delete_schema(self: _Requests, schema_id: str) -> None:
        self.request("DELETE", f"/v1/schemas/{schema_id}")

    def delete_run(self: _Requests, run_id: str) -> None:
        self.request("DELETE", f"/v1/runs/{run_id}")

    def create_token(
        self: _Requests, *, name: str | None = None, ttl_seconds: int | None = None
    ) -> dict[str, Any]:
        """A new API token; its `token` is in this answer only."""
        body = {k: v for k, v in (("name", name), ("ttl_seconds", ttl_seconds)) if v is not None}
        return self.request("POST", "/v1/tokens", json=body)

    def tokens(self: _Requests) -> Iterator[dict[str, Any]]:
        return paged(self, "/v1/tokens")

    def revoke_token(self: _Requests, token_id: str) -> None:
        self.request("DELETE", f"/v1/tokens/{token_id}")
