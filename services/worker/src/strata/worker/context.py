"""A run's frozen inputs (policy snapshot, schema version, system prompt), read once per process:
none of them can change after the run is created."""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from jsonschema import Draft202012Validator

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.planning.prompt import system_prompt
from strata.planning.tokens import estimate_tokens
from strata.planning.values import value_validator
from strata.worker.store import PackStore


@dataclass(frozen=True)
class RunContext:
    run_id: UUID
    account_id: UUID
    policy: PolicySnapshot
    definition: dict[str, Any]
    system: str
    system_tokens: int
    validator: Draft202012Validator


class RunContexts:
    def __init__(self, store: PackStore, *, capacity: int = 256) -> None:
        self._store = store
        self._capacity = capacity
        self._cache: OrderedDict[UUID, RunContext] = OrderedDict()

    async def get(self, run_id: UUID) -> RunContext | None:
        if (cached := self._cache.get(run_id)) is not None:
            self._cache.move_to_end(run_id)
            return cached
        inputs = await self._store.run_inputs(run_id)
        if inputs is None:
            return None
        definition = inputs.definition
        system = system_prompt(definition, PromptConfig.model_validate(inputs.prompt_config))
        context = RunContext(
            run_id=run_id,
            account_id=inputs.account_id,
            policy=PolicySnapshot.model_validate(inputs.policy),
            definition=definition,
            system=system,
            system_tokens=estimate_tokens(system),
            validator=value_validator(definition),
        )
        self._cache[run_id] = context
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return context
