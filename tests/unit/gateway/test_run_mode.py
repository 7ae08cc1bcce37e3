"""A run's mode: asked for, else the admin default, else deferred above a size."""

import pytest

from strata.contracts.policy import PolicySnapshot, RunMode
from strata.gateway.domain.policy import with_mode


@pytest.mark.parametrize(
    ("admin", "requested", "blocks", "expected"),
    [
        ({}, None, 10_000, RunMode.REALTIME),
        ({}, RunMode.DEFERRED, 1, RunMode.DEFERRED),
        ({"mode": "deferred"}, None, 1, RunMode.DEFERRED),
        ({"mode": "deferred"}, RunMode.REALTIME, 1, RunMode.REALTIME),
        ({"deferred_above_blocks": 500}, None, 500, RunMode.REALTIME),
        ({"deferred_above_blocks": 500}, None, 501, RunMode.DEFERRED),
        ({"deferred_above_blocks": 500}, RunMode.REALTIME, 10_000, RunMode.REALTIME),
    ],
)
def test_the_mode_a_run_freezes(
    admin: dict, requested: RunMode | None, blocks: int, expected: RunMode
) -> None:
    assert with_mode(PolicySnapshot(**admin), requested, blocks).mode is expected


def test_a_bad_threshold_is_refused_by_the_policy() -> None:
    with pytest.raises(ValueError, match="deferred_above_blocks"):
        PolicySnapshot.model_validate({"deferred_above_blocks": 0})
