"""docs/asyncapi.json is what the code generates: every message class with its route, every
command's queue, and nothing that is not in the contracts."""

import json
from pathlib import Path

from strata.contracts import routing
from strata.runtime import asyncapi

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"


def test_the_committed_document_matches_the_code() -> None:
    assert COMMITTED.exists(), f"docs/asyncapi.json is missing; generate: {asyncapi.REGENERATE}"
    assert COMMITTED.read_text() == asyncapi.render(), (
        f"docs/asyncapi.json differs from the code; regenerate: {asyncapi.REGENERATE}"
    )


def test_every_message_is_published_and_every_command_consumed() -> None:
    doc = asyncapi.document()
    classes = asyncapi.message_classes()
    assert len(classes) == len({c.route.routing_key for c in classes}) >= 12
    for cls in classes:
        operation = doc["operations"][f"publish {cls.route.routing_key}"]
        assert operation["action"] == "send"
        assert operation["bindings"]["amqp"]["mandatory"] is cls.route.is_command
        assert cls.__name__ in doc["components"]["schemas"]
    consumed = {
        name: channel["address"]
        for name, channel in doc["channels"].items()
        if not name.startswith("publish ")
    }
    expected = {route.queue: route.routing_key for route in routing.CONSUMED_ROUTES}
    assert consumed == {**expected, routing.DEAD_LETTER_QUEUE: "#"}


def test_check_mode_fails_on_a_stale_file(tmp_path: Path, capsys) -> None:
    stale = tmp_path / "asyncapi.json"
    stale.write_text(json.dumps({"asyncapi": "3.0.0"}))
    assert asyncapi.main(["--check", "--target", str(stale)]) == 1
    assert "make asyncapi" in capsys.readouterr().err
    assert asyncapi.main(["--target", str(stale)]) == 0
    assert asyncapi.main(["--check", "--target", str(stale)]) == 0
