import pytest

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.gateway.domain.policy import InvalidPolicyOverrideError, check_override_keys, run_policy


def test_admin_policy_then_schema_prompt_then_overrides():
    policy = run_policy(
        admin_settings={"temperature": 0.1, "max_pack_size": 40},
        prompt_config=PromptConfig(model="schema-model", temperature=0.5),
        overrides={"temperature": 0.9, "budget_usd": 2.5},
    )
    assert policy.model == "schema-model"
    assert policy.temperature == 0.9
    assert policy.max_pack_size == 40
    assert policy.budget_usd == 2.5
    assert policy.max_tokens == PolicySnapshot().max_tokens


def test_unset_prompt_settings_keep_the_admin_values():
    policy = run_policy(
        admin_settings={"model": "admin-model"}, prompt_config=PromptConfig(), overrides={}
    )
    assert policy.model == "admin-model"
    assert policy.temperature == PolicySnapshot().temperature


@pytest.mark.parametrize("key", ["max_attempts", "lease_seconds", "no_such_key"])
def test_admin_only_and_unknown_keys_are_refused(key):
    with pytest.raises(InvalidPolicyOverrideError, match=key):
        check_override_keys({key: 1})


@pytest.mark.parametrize(
    "overrides", [{"temperature": 3.0}, {"max_tokens": 1}, {"budget_usd": -1}, {"model": 5}]
)
def test_out_of_bounds_overrides_are_refused(overrides):
    with pytest.raises(InvalidPolicyOverrideError):
        run_policy(admin_settings={}, prompt_config=PromptConfig(), overrides=overrides)
