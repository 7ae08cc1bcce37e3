"""The gateway over HTTP, with its errors turned into CliErrors (one line, an exit code)."""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from strata.cli.config import Login, load
from strata.cli.errors import CliError, Exit


def api_error(response: httpx.Response) -> CliError:
    try:
        body = response.json()["error"]
        code, message = str(body["code"]), str(body["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", f"HTTP {response.status_code}"
    kind = Exit.UNAVAILABLE if response.status_code >= 500 else Exit.REFUSED
    return CliError(kind, code, message)


class Api:
    def __init__(self, login: Login, *, timeout_s: float = 60.0) -> None:
        self.login = login
        self.http = httpx.Client(
            base_url=login.url,
            headers={"Authorization": f"Bearer {login.token}"},
            timeout=timeout_s,
        )

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, f"/v1{path}", **kwargs)
        except httpx.TransportError as exc:
            raise CliError(
                Exit.UNAVAILABLE,
                "unreachable",
                f"the gateway at {self.login.url} did not answer ({type(exc).__name__})",
            ) from None
        if response.status_code >= 400:
            raise api_error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.call("GET", path, params=clean)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, json=body)

    def upload(self, project_id: str, path: Path) -> Any:
        with path.open("rb") as handle:
            return self.call(
                "POST", f"/projects/{project_id}/documents", files={"file": (path.name, handle)}
            )

    def download(self, path: str, target: Path) -> int:
        size = 0
        try:
            # A deployment that presigns downloads redirects to object storage; httpx drops the
            # Authorization header on a redirect to another origin.
            with self.http.stream("GET", f"/v1{path}", follow_redirects=True) as response:
                if response.status_code >= 400:
                    response.read()
                    raise api_error(response)
                with target.open("wb") as out:
                    for chunk in response.iter_bytes():
                        size += out.write(chunk)
        except httpx.TransportError as exc:
            raise CliError(Exit.UNAVAILABLE, "unreachable", f"download failed: {exc}") from None
        return size


@contextlib.contextmanager
def session() -> Iterator[Api]:
    """The API as the logged-in user."""
    api = Api(load())
    try:
        yield api
    finally:
        api.close()
