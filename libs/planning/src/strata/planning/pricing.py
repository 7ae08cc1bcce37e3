"""What a call costs (pure). Prices are USD per million tokens; cache writes bill at 1.25x (5-minute
TTL) or 2x (1-hour TTL) and cache reads at 0.1x of the input price, as Anthropic bills. A request
of a Message Batch (`service_tier: "batch"`, a deferred run) bills at half of all of it."""

from dataclasses import dataclass
from decimal import Decimal

from strata.contracts.policy import PromptCacheTtl
from strata.planning.caching import CACHE_READ_MULTIPLIER, CACHE_WRITE_MULTIPLIERS


@dataclass(frozen=True)
class Price:
    input_per_mtok: Decimal
    output_per_mtok: Decimal


# Matched by the longest prefix; unknown models bill at the Sonnet price so a typo never makes a
# run look free. Opus 4.5 and later are priced lower than Opus 4 and 4.1.
PRICES: dict[str, Price] = {
    "claude-opus-4": Price(Decimal("15"), Decimal("75")),
    "claude-opus-4-5": Price(Decimal("5"), Decimal("25")),
    "claude-opus-4-6": Price(Decimal("5"), Decimal("25")),
    "claude-sonnet": Price(Decimal("3"), Decimal("15")),
    "claude-haiku": Price(Decimal("1"), Decimal("5")),
}
DEFAULT_PRICE = PRICES["claude-sonnet"]
# Message Batches bill every token kind (input, cache write, cache read, output) at 50 %.
BATCH_DISCOUNT = Decimal("0.5")


def price_for(model: str) -> Price:
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else DEFAULT_PRICE


def call_cost(
    model: str,
    *,
    input_tokens: int,
    cache_write: int,
    cache_read: int,
    output_tokens: int,
    ttl: PromptCacheTtl = PromptCacheTtl.FIVE_MINUTES,
    batch: bool = False,
) -> Decimal:
    price = price_for(model)
    write_multiplier = CACHE_WRITE_MULTIPLIERS[ttl]
    billed_in = input_tokens + write_multiplier * cache_write + CACHE_READ_MULTIPLIER * cache_read
    total = (billed_in * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1_000_000
    if batch:
        total *= BATCH_DISCOUNT
    return total.quantize(Decimal("0.00000001"))
