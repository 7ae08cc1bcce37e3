"""What a run will cost before it runs (pure): the same packs, prompt and prices the worker uses."""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from strata.contracts.policy import PolicySnapshot, RunMode
from strata.contracts.schemas import PromptConfig
from strata.planning.answer_rows import AnswerForm, answer_form, row_fields
from strata.planning.answers import answer_sizer
from strata.planning.caching import caching_note, min_cacheable_tokens
from strata.planning.planner import PlannedBlock, plan_packs
from strata.planning.pricing import call_cost
from strata.planning.prompt import PromptBlock, block_body, system_prompt
from strata.planning.tokens import estimate_tokens


@dataclass(frozen=True)
class EstimateBlock:
    key: tuple[Any, int]  # (document_id, block_index)
    text: str


@dataclass
class RunEstimate:
    model: str
    blocks: int = 0
    packs: int = 0
    calls: int = 0
    input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)  # in the run's mode (realtime or deferred)
    # Both modes side by side: one call per pack, or the same packs as Message Batch requests
    # (the same tokens, billed at half price).
    realtime_cost_usd: Decimal = Decimal(0)
    deferred_cost_usd: Decimal = Decimal(0)
    mode: str = RunMode.REALTIME.value
    pack_sizes: list[int] = field(default_factory=list)
    # Why the constant prompt will not be cached although caching is on (below the model's
    # minimum), or None: a run must never look cached on paper and pay full input in fact.
    caching_note: str | None = None
    # How each block's answer is asked for (`answer_rows.AnswerForm`): what the output is priced as.
    answer_form: str = AnswerForm.FULL.value


def estimate_run(
    blocks: list[EstimateBlock],
    *,
    definition: dict[str, Any],
    prompt_config: PromptConfig,
    policy: PolicySnapshot,
) -> RunEstimate:
    estimator = RunEstimator(definition=definition, prompt_config=prompt_config, policy=policy)
    estimator.add(blocks)
    return estimator.finish()


class RunEstimator:
    """The estimate of a run fed its blocks in claim order, a chunk at a time, so a run of a
    million blocks is priced in bounded memory: each chunk is planned with the blocks carried
    over from the last one's final pack (which the next blocks may still join), so the packs are
    exactly those one pass over every block makes."""

    def __init__(
        self, *, definition: dict[str, Any], prompt_config: PromptConfig, policy: PolicySnapshot
    ) -> None:
        self._policy = policy
        system = system_prompt(
            definition, prompt_config, sparse=policy.sparse_answers, rows=policy.row_answers
        )
        form = answer_form(definition, rows=policy.row_answers, sparse=policy.sparse_answers)
        fields = row_fields(definition) if form is AnswerForm.ROWS else None
        self._answer_chars = answer_sizer(definition, row_fields=fields)
        self._system_tokens = estimate_tokens(system)
        cacheable = self._system_tokens >= min_cacheable_tokens(policy.model)
        self._cached = policy.prompt_caching_enabled and cacheable
        self._carried: list[EstimateBlock] = []
        self.result = RunEstimate(
            model=policy.model,
            caching_note=caching_note(
                model=policy.model,
                system_tokens=self._system_tokens,
                enabled=policy.prompt_caching_enabled,
            ),
            answer_form=form.value,
            mode=policy.mode.value,
        )

    def add(self, blocks: list[EstimateBlock]) -> None:
        self.result.blocks += len(blocks)
        self._price(self._carried + blocks, last=False)

    def finish(self) -> RunEstimate:
        self._price(self._carried, last=True)
        self._carried = []
        result = self.result
        deferred = self._policy.mode is RunMode.DEFERRED
        result.cost_usd = result.deferred_cost_usd if deferred else result.realtime_cost_usd
        return result

    def _price(self, blocks: list[EstimateBlock], *, last: bool) -> None:
        planned = [PlannedBlock(b.key, estimate_tokens(b.text)) for b in blocks]
        by_key = {b.key: b for b in blocks}
        packs = plan_packs(planned, self._policy, fixed_prompt_tokens=self._system_tokens)
        if not last and packs:
            held = packs.pop()
            self._carried = [by_key[p.key] for p in held]
        for pack in packs:
            self._price_pack([by_key[p.key].text for p in pack])

    def _price_pack(self, texts: list[str]) -> None:
        result, system_tokens, cached = self.result, self._system_tokens, self._cached
        number = result.packs
        tags = [str(i) for i in range(1, len(texts) + 1)]
        body = block_body([PromptBlock(t, x) for t, x in zip(tags, texts, strict=True)], tags)
        write = system_tokens if cached and number == 0 else 0
        read = system_tokens if cached and number > 0 else 0
        uncached = estimate_tokens(body) + (0 if cached else system_tokens)
        answer_chars = 2 + sum(
            self._answer_chars(t) + len(tag) + 4
            for t, tag in zip(texts, tags, strict=True)
        )
        output = math.ceil(answer_chars / 4)
        result.packs += 1
        result.calls += 1
        result.input_tokens += uncached
        result.cache_write_tokens += write
        result.cache_read_tokens += read
        result.output_tokens += output
        for batch in (False, True):
            cost = call_cost(
                self._policy.model,
                input_tokens=uncached,
                cache_write=write,
                cache_read=read,
                output_tokens=output,
                ttl=self._policy.prompt_cache_ttl,
                batch=batch,
            )
            if batch:
                result.deferred_cost_usd += cost
            else:
                result.realtime_cost_usd += cost
        result.pack_sizes.append(len(texts))
