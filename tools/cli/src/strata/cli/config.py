"""Where `strata login` keeps the gateway URL and token: a JSON file only its owner may read
(`$STRATA_CONFIG`, else `$XDG_CONFIG_HOME/strata/config.json`, else ~/.config/strata/...).
STRATA_GATEWAY_URL and STRATA_TOKEN override it (for scripts and CI)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from strata.cli.errors import CliError, Exit


@dataclass(frozen=True)
class Login:
    url: str
    token: str


def config_path() -> Path:
    if explicit := os.environ.get("STRATA_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "strata" / "config.json"


def save(login: Login, *, path: Path | None = None) -> Path:
    target = path or config_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 before the token is written, so it is never readable by others.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": login.url, "token": login.token}, out)
    os.chmod(target, 0o600)  # an older file keeps its mode through O_TRUNC
    return target


def load(*, path: Path | None = None) -> Login:
    env_url, env_token = os.environ.get("STRATA_GATEWAY_URL"), os.environ.get("STRATA_TOKEN")
    stored: dict[str, str] = {}
    source = path or config_path()
    if source.is_file():
        try:
            stored = json.loads(source.read_text())
        except (OSError, ValueError):
            raise CliError(
                Exit.NOT_LOGGED_IN, "bad_config", f"{source} is not readable: log in again"
            ) from None
    url, token = env_url or stored.get("url"), env_token or stored.get("token")
    if not url or not token:
        raise CliError(Exit.NOT_LOGGED_IN, "not_logged_in", "not logged in: run `strata login`")
    return Login(url=url.rstrip("/"), token=token)
