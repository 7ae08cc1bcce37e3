"""The CLI's SSE parser and its config file (owner-only, environment overrides)."""

import stat

import pytest

from strata.cli import config, sse
from strata.cli.errors import CliError, Exit


def test_events_are_parsed_and_heartbeats_skipped():
    lines = [
        ": ping",
        "id: 7",
        "event: run.progress",
        'data: {"a":',
        "data: 1}",
        "",
        ": ping",
        "",
        "id: 8",
        "event: run.completed",
        "data: {}",
        "",
    ]
    events = list(sse.parse(lines))
    assert [(e.id, e.event) for e in events] == [("7", "run.progress"), ("8", "run.completed")]
    assert events[0].data == '{"a":\n1}'


def test_the_config_file_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("STRATA_GATEWAY_URL", raising=False)
    monkeypatch.delenv("STRATA_TOKEN", raising=False)
    path = tmp_path / "deep" / "config.json"
    with pytest.raises(CliError) as missing:
        config.load(path=path)
    assert missing.value.exit_code is Exit.NOT_LOGGED_IN
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0o644)
    config.save(config.Login("http://gw/", "strata_x"), path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load(path=path) == config.Login("http://gw", "strata_x")
    monkeypatch.setenv("STRATA_TOKEN", "strata_env")
    assert config.load(path=path).token == "strata_env"
