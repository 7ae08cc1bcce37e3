"""The AsyncAPI document of every message Strata publishes and consumes, generated from the
contracts: each `Message` class knows its route (routing key, and for a command the queue of
the one service that consumes it), so one broker with every route declared is the whole
interface. FastStream renders it; `docs/asyncapi.json` is this output, and a unit test fails
when the two differ.

The services' own subscribers take raw bytes (they decode and dead-letter bad input
themselves), so their signatures would document nothing: the broker built here is for the
specification only and never connects.

    python -m strata.runtime.asyncapi            # rewrite docs/asyncapi.json
    python -m strata.runtime.asyncapi --check    # exit 1 if it is out of date
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from strata.contracts import commands, messages, routing
from strata.contracts.messages import Message
from strata.runtime.broker import DEAD_LETTER_QUEUE, DEAD_LETTERS, EVENTS, consumer_queue

TITLE = "Strata messages"
VERSION = "0.2.0"
DEFAULT_TARGET = Path("docs/asyncapi.json")
REGENERATE = "python -m strata.runtime.asyncapi  (or: make asyncapi)"


def message_classes() -> list[type[Message]]:
    """Every concrete message of the contracts, in routing-key order (stable output)."""
    # A set: the module also keeps old names (aliases) of some classes.
    found = {
        cls
        for module in (messages, commands)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Message) and "route" in vars(cls)
    }
    return sorted(found, key=lambda cls: cls.route.routing_key)


def _consumer_of(route: routing.Route) -> str:
    # Queues are named strata.<service>.<what>: the service is the one consumer.
    return (route.queue or "").split(".")[1]


def spec_broker() -> RabbitBroker:
    broker = RabbitBroker()
    for cls in message_classes():
        route = cls.route
        kind = "command" if route.is_command else "notification"
        doc = (cls.__doc__ or "").strip()
        broker.publisher(
            route.routing_key,
            EVENTS,
            schema=cls,
            # As the outbox publishes: persistent; mandatory for a command (a queue must take it).
            persist=True,
            mandatory=route.is_command,
            title=f"publish {route.routing_key}",
            description=f"{kind} on the `{routing.EXCHANGE}` topic exchange. {doc}".strip(),
        )
        if route.is_command:
            _subscribe(broker, cls, route)
    notified = ", ".join(f"`{key}`" for key in routing.EVENT_LOG.bound_keys)
    broker.subscriber(
        consumer_queue(routing.EVENT_LOG),
        EVENTS,
        title=routing.EVENT_LOG.queue,
        description=f"every notification ({notified}), recorded once in the event log by "
        "strata-notify (SSE streams and webhooks are served from it)",
    )(_event_log)
    follow_ups = routing.COMMAND_FOLLOW_UPS
    settling = ", ".join(f"`{key}`" for key in follow_ups.bound_keys)
    broker.subscriber(
        consumer_queue(follow_ups),
        EVENTS,
        title=follow_ups.queue,
        description=f"the notifications that settle a command's work ({settling}), followed "
        "by strata-gateway to answer the commands waiting on them (`command.*`)",
    )(_command_follow_ups)
    broker.subscriber(
        DEAD_LETTER_QUEUE,
        DEAD_LETTERS,
        title=routing.DEAD_LETTER_QUEUE,
        description="every dead letter (any message, as it was), copied by the rollup",
    )(_dead_letter)
    return broker


def _subscribe(broker: RabbitBroker, cls: type[Message], route: routing.Route) -> None:
    async def handler(msg: Any) -> None:
        """Specification only: never called."""

    handler.__annotations__ = {"msg": cls, "return": None}
    legacy = f" (also bound: {', '.join(route.legacy_keys)})" if route.legacy_keys else ""
    broker.subscriber(
        consumer_queue(route),
        EVENTS,
        title=route.queue,
        description=f"{cls.__name__} from `{route.routing_key}`{legacy}, consumed by "
        f"strata-{_consumer_of(route)}",
    )(handler)


async def _dead_letter(body: bytes) -> None:
    """Specification only: never called."""


async def _event_log(body: bytes) -> None:
    """Specification only: never called."""


async def _command_follow_ups(body: bytes) -> None:
    """Specification only: never called."""


def document() -> dict[str, Any]:
    spec = AsyncAPI(spec_broker(), title=TITLE, version=VERSION, schema_version="3.0.0")
    data: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return data


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.target.read_text() if args.target.exists() else ""
        if current != text:
            print(f"{args.target} is out of date; regenerate: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    args.target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
