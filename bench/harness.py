"""What every benchmark needs: the real services on a fresh database and vhost, a client, and
clean-up. Benchmarks print figures; they never assert on time."""

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benches run as scripts from the repo root
    sys.path.insert(0, str(ROOT))

from tests.support import infra  # noqa: E402
from tests.support.stack import Stack, fresh_stack  # noqa: E402

from strata.client import StrataClient  # noqa: E402


@contextlib.contextmanager
def running_stack(
    extra_env: dict[str, str] | None = None, stack_cls: type[Stack] = Stack
) -> Iterator[tuple[Stack, StrataClient]]:
    template = infra.run(infra.create_template())
    try:
        with (
            tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp,
            fresh_stack(template, Path(tmp), extra_env=extra_env, stack_cls=stack_cls) as stack,
        ):
            client = StrataClient(stack.gateway_url, stack.create_account("bench"), timeout=300)
            try:
                yield stack, client
            finally:
                client.close()
    finally:
        infra.run(infra.drop_database(template))


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
