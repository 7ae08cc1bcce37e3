"""Review routes of the client: one block's actions against its revision, bulk actions, the
review queue and the audit. Mixed into `StrataClient`; they only need its `request`."""

from collections.abc import Iterator
from typing import Any, Protocol


class _Requests(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


def _block(run_id: str, document_id: str, block_index: int) -> str:
    return f"/v1/runs/{run_id}/overlays/{document_id}/{block_index}"


def _pages(client: _Requests, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    cursor: Any = None
    while True:
        page = client.request(
            "GET", path, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        yield from page["items"]
        cursor = page.get("next_cursor")
        if cursor is None:
            return


class ReviewMethods:
    def review_item(
        self: _Requests, run_id: str, document_id: str, block_index: int
    ) -> dict[str, Any]:
        """One block as a reviewer sees it, with the `revision` to act against."""
        return self.request("GET", _block(run_id, document_id, block_index))

    def review(
        self: _Requests,
        run_id: str,
        document_id: str,
        block_index: int,
        *,
        action: str,
        revision: int,
        values: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """confirm | edit | reject | reopen; a stale revision raises StrataApiError 409
        `stale_revision` whose `details["current"]` is the block as it is now."""
        body: dict[str, Any] = {"action": action, "revision": revision}
        if values is not None:
            body["values"] = values
        if reason is not None:
            body["reason"] = reason
        return self.request("POST", f"{_block(run_id, document_id, block_index)}/review", json=body)

    def bulk_review(self: _Requests, run_id: str, action: str, **filters: Any) -> dict[str, Any]:
        """One action over a run; filters: document_id, status, flag, include_flagged, reason."""
        body = {"action": action, **{k: v for k, v in filters.items() if v is not None}}
        return self.request("POST", f"/v1/runs/{run_id}/review", json=body)

    def review_queue(
        self: _Requests, run_id: str, *, review_status: str = "unreviewed", page_size: int = 200
    ) -> Iterator[dict[str, Any]]:
        params = {"limit": page_size, "review_status": review_status}
        yield from _pages(self, f"/v1/runs/{run_id}/review-queue", params)

    def review_events(
        self: _Requests,
        run_id: str,
        *,
        document_id: str | None = None,
        block_index: int | None = None,
        page_size: int = 200,
    ) -> Iterator[dict[str, Any]]:
        """Newest first: the run's events, or one block's when document_id and block_index."""
        path = f"/v1/runs/{run_id}/review-events"
        if document_id is not None and block_index is not None:
            path = f"{_block(run_id, document_id, block_index)}/review-events"
        yield from _pages(self, path, {"limit": page_size})
