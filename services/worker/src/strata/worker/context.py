"""A run's frozen inputs (policy snapshot, schema version, system prompt), read once per process:
none of them can change after the run is created.

The schema is untrusted: its validator never fetches and matches patterns with RE2
(`strata.planning.schema_validator`), and it is checked once here with the gateway's own rules,
so a schema that slipped past them (saved before they existed) fails its blocks before any call
is paid for (`schema_problem`)."""

import asyncio
import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.planning.answer_rows import AnswerForm, answer_form, row_fields
from strata.planning.answers import omitted_values
from strata.planning.prompt import system_prompt
from strata.planning.schema_bounds import UnsafeSchemaError, check_structure, run_time_limits
from strata.planning.schema_validator import answer_validator, metaschema_errors
from strata.planning.tokens import estimate_tokens
from strata.worker.store import PackStore, RunInputs


@dataclass(frozen=True)
class RunContext:
    run_id: UUID
    account_id: UUID
    policy: PolicySnapshot
    definition: dict[str, Any]
    system: str
    system_tokens: int
    validator: Validator
    omitted: dict[str, Any] | None = None  # sparse answers: what a left-out key stands for
    answer_form: AnswerForm = AnswerForm.FULL  # what the system prompt asks for
    row_fields: list[str] | None = None  # row answers: the field order the prompt states
    schema_problem: str | None = None  # why no answer could be validated: fail, do not call


def schema_problem(definition: dict[str, Any]) -> str | None:
    """What makes the schema unusable at run time, or None. Limits the gateway may have raised
    by setting are not applied again here: only what would fetch, loop or fail to evaluate."""
    try:
        check_structure(definition, run_time_limits())
    except UnsafeSchemaError as exc:
        return f"the run's schema cannot be used: {exc}"
    if (error := best_match(metaschema_errors(definition))) is not None:
        return f"the run's schema is not valid JSON Schema: {error.message[:300]}"
    return None


def _context(run_id: UUID, inputs: RunInputs) -> RunContext:
    definition = inputs.definition
    policy = PolicySnapshot.model_validate(inputs.policy)
    system = system_prompt(
        definition,
        PromptConfig.model_validate(inputs.prompt_config),
        sparse=policy.sparse_answers,
        rows=policy.row_answers,
    )
    form = answer_form(definition, rows=policy.row_answers, sparse=policy.sparse_answers)
    return RunContext(
        run_id=run_id,
        account_id=inputs.account_id,
        policy=policy,
        definition=definition,
        system=system,
        system_tokens=estimate_tokens(system),
        validator=answer_validator(definition),
        omitted=omitted_values(definition) if policy.sparse_answers else None,
        answer_form=form,
        row_fields=row_fields(definition) if form is AnswerForm.ROWS else None,
        schema_problem=schema_problem(definition),
    )


class RunContexts:
    def __init__(self, store: PackStore, *, capacity: int = 256) -> None:
        self._store = store
        self._capacity = capacity
        self._cache: OrderedDict[UUID, RunContext] = OrderedDict()
        self._building: dict[UUID, asyncio.Future[RunContext | None]] = {}

    async def get(self, run_id: UUID) -> RunContext | None:
        if (cached := self._cache.get(run_id)) is not None:
            self._cache.move_to_end(run_id)
            return cached
        building = self._building.get(run_id)
        if building is None:
            building = asyncio.ensure_future(self._build(run_id))
            self._building[run_id] = building
            building.add_done_callback(lambda _: self._building.pop(run_id, None))
        # Shielded: one pack giving up (cancelled) must not cancel the build the others await.
        return await asyncio.shield(building)

    async def _build(self, run_id: UUID) -> RunContext | None:
        inputs = await self._store.run_inputs(run_id)
        if inputs is None:
            return None
        # In a thread, once per run however many of its packs arrive together: checking a
        # tenant's schema against the metaschema takes ~0.1 s for a few hundred properties, and
        # on the event loop it would hold up every other tenant's packs in this process.
        context = await asyncio.to_thread(_context, run_id, inputs)
        self._cache[run_id] = context
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return context

    def mark_broken(self, run_id: UUID, problem: str) -> None:
        """Remember that this run's schema failed at run time: its next packs fail unpaid."""
        if (cached := self._cache.get(run_id)) is not None:
            self._cache[run_id] = dataclasses.replace(cached, schema_problem=problem)
