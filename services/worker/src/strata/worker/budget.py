"""Budget caps that hold with any number of workers.

Before a call, the worker reserves the call's worst case (every input token billed as a cache
write or plain input, plus the full `max_tokens` of output) with one conditional update on the
run's `run_budgets` row (`PackStore.reserve_budget`); the settle swaps the reservation for the
billed cost. A call starts only if spent + reserved + its worst case stays within the budget, so
the run can never go past it, whatever runs concurrently. A worker that dies mid-call leaves its
reservation behind: the run then under-spends its budget, never over-spends it.
"""

from decimal import Decimal

from strata.contracts.policy import PolicySnapshot
from strata.planning.pricing import call_cost
from strata.planning.tokens import estimate_tokens

# Our token estimate follows the simulator's rule; a real tokenizer may count more.
_TOKENIZER_HEADROOM = Decimal("1.25")


def worst_case_cost(
    *, policy: PolicySnapshot, system: str, body: str, batch: bool = False
) -> Decimal:
    """`batch`: a Message Batch request (half price), reserved before its batch is submitted."""
    system_tokens, body_tokens = estimate_tokens(system), estimate_tokens(body)
    cached = policy.prompt_caching_enabled
    cost = call_cost(
        policy.model,
        input_tokens=body_tokens + (0 if cached else system_tokens),
        cache_write=system_tokens if cached else 0,
        cache_read=0,
        output_tokens=policy.max_tokens,
        ttl=policy.prompt_cache_ttl,
        batch=batch,
    )
    return (cost * _TOKENIZER_HEADROOM).quantize(Decimal("0.00000001"))
