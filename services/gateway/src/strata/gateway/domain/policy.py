"""The policy a run freezes at creation. Pure: no I/O."""

from typing import Any

from pydantic import ValidationError

from strata.contracts.policy import RUN_OVERRIDABLE_KEYS, PolicySnapshot, RunMode
from strata.contracts.schemas import PromptConfig
from strata.gateway.web.errors import describe_validation_errors


class InvalidPolicyOverrideError(ValueError):
    pass


def check_override_keys(overrides: dict[str, Any]) -> None:
    unknown = sorted(set(overrides) - RUN_OVERRIDABLE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(RUN_OVERRIDABLE_KEYS))
        raise InvalidPolicyOverrideError(
            f"a run may not override {', '.join(unknown)} (allowed: {allowed})"
        )


def run_policy(
    *, admin_settings: dict[str, Any], prompt_config: PromptConfig, overrides: dict[str, Any]
) -> PolicySnapshot:
    """Admin policy, then the schema's prompt settings, then the caller's per-run overrides."""
    check_override_keys(overrides)
    snapshot = PolicySnapshot.model_validate(admin_settings)
    from_schema = {
        key: value
        for key in ("model", "temperature", "max_tokens")
        if (value := getattr(prompt_config, key)) is not None
    }
    try:
        if from_schema:
            snapshot = snapshot.with_overrides(from_schema)
        return snapshot.with_overrides(overrides)
    except ValidationError as exc:
        raise InvalidPolicyOverrideError(describe_validation_errors(exc.errors())) from None


def with_mode(policy: PolicySnapshot, requested: RunMode | None, blocks: int) -> PolicySnapshot:
    """The run's mode: the one asked for, else deferred when the admin policy sends runs of more
    than `deferred_above_blocks` blocks to the Message Batches API, else the policy's own."""
    if requested is None:
        threshold = policy.deferred_above_blocks
        above = threshold is not None and blocks > threshold
        requested = RunMode.DEFERRED if above else policy.mode
    if requested is policy.mode:
        return policy
    return policy.with_overrides({"mode": requested})
