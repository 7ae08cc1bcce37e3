"""What happens to each claimed block after a model call (pure).

A block is only ever settled from the answer under its own uid. Blocks whose answer is missing or
invalid go back to `pending` in packs of their own; an overflowing pack is split in halves; a
block fails once its attempts reach the policy's `max_attempts`.
"""

from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid4

from strata.contracts.blocks import make_block_uid
from strata.contracts.overlays import TERMINAL_OVERLAY_STATUSES, ModelErrorCode, OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.planning.flags import block_flags
from strata.worker.answers import MappedAnswer


@dataclass(frozen=True)
class ClaimedBlock:
    document_id: UUID
    block_index: int
    attempt_count: int
    text: str
    # The document's conversion span (W3C traceparent): the pack span links to it.
    trace_context: str | None = None

    @property
    def uid(self) -> str:
        return make_block_uid(self.document_id, self.block_index)


@dataclass(frozen=True)
class BlockOutcome:
    block: ClaimedBlock
    status: OverlayStatus
    staged: dict[str, Any] | None = None
    attempt_inc: int = 0
    pack_id: UUID | None = None  # a new pack for a block that goes back to pending
    error_code: str | None = None
    error_message: str | None = None
    flags: tuple[str, ...] = ()  # set on settled outcomes by `with_flags`


@dataclass
class Decision:
    outcomes: list[BlockOutcome] = field(default_factory=list)
    # New packs to offer now (splits, lone retries): pack_id -> number of blocks.
    new_packs: dict[UUID, int] = field(default_factory=dict)
    # Blocks left pending in the same pack, to be offered again after a backoff.
    retry_same_pack: bool = False


def _retry_or_fail(
    block: ClaimedBlock, policy: PolicySnapshot, code: str, message: str, *, pack_id: UUID | None
) -> BlockOutcome:
    exhausted = block.attempt_count + 1 >= policy.max_attempts
    return BlockOutcome(
        block,
        OverlayStatus.FAILED if exhausted else OverlayStatus.PENDING,
        attempt_inc=1,
        pack_id=None if exhausted else pack_id,
        error_code=code,
        error_message=message,
    )


def _split(blocks: list[ClaimedBlock], decision: Decision, reason: str) -> None:
    middle = len(blocks) // 2
    for half in (blocks[:middle], blocks[middle:]):
        pack_id = uuid4()
        decision.new_packs[pack_id] = len(half)
        decision.outcomes.extend(
            BlockOutcome(
                b,
                OverlayStatus.PENDING,
                pack_id=pack_id,
                error_code=ModelErrorCode.OVERFLOW,
                error_message=reason,
            )
            for b in half
        )


def after_answer(
    blocks: list[ClaimedBlock], mapped: MappedAnswer | None, policy: PolicySnapshot
) -> Decision:
    """`mapped` is None when the answer was cut at max_tokens."""
    decision = Decision()
    if mapped is None:
        if len(blocks) > 1 and policy.split_on_overflow:
            _split(blocks, decision, "answer cut at max_tokens; pack split in two")
        else:
            decision.outcomes.extend(
                BlockOutcome(
                    b,
                    OverlayStatus.FAILED,
                    attempt_inc=1,
                    error_code=ModelErrorCode.OVERFLOW,
                    error_message="the answer does not fit in max_tokens",
                )
                for b in blocks
            )
        return decision
    for block in blocks:
        if block.uid in mapped.values:
            decision.outcomes.append(
                BlockOutcome(block, OverlayStatus.AI_COMPLETE, staged=mapped.values[block.uid])
            )
            continue
        pack_id = uuid4()  # retried alone, never beside the neighbours that confused it
        outcome = _retry_or_fail(
            block,
            policy,
            ModelErrorCode.INVALID_OUTPUT,
            mapped.problems[block.uid],
            pack_id=pack_id,
        )
        decision.outcomes.append(outcome)
        if outcome.status is OverlayStatus.PENDING:
            decision.new_packs[pack_id] = 1
    return decision


_KEY_ERRORS = {ModelErrorCode.NO_API_KEY, ModelErrorCode.INVALID_API_KEY}


def after_error(
    blocks: list[ClaimedBlock],
    *,
    code: ModelErrorCode,
    message: str,
    retryable: bool,
    policy: PolicySnapshot,
) -> Decision:
    decision = Decision()
    if code in _KEY_ERRORS:
        # Not the blocks' fault: no attempt is counted; the run waits for a usable key.
        decision.outcomes.extend(
            BlockOutcome(b, OverlayStatus.PENDING, error_code=code, error_message=message)
            for b in blocks
        )
        return decision
    if code is ModelErrorCode.RATE_LIMITED:
        # The key's limit, not the blocks: no attempt is counted; the same pack is offered again
        # after the provider's retry-after (the limiter holds every worker back until then).
        decision.outcomes.extend(
            BlockOutcome(b, OverlayStatus.PENDING, error_code=code, error_message=message)
            for b in blocks
        )
        decision.retry_same_pack = True
        return decision
    if code is ModelErrorCode.OVERFLOW and len(blocks) > 1 and policy.split_on_overflow:
        _split(blocks, decision, message)
        return decision
    if not retryable:
        decision.outcomes.extend(
            BlockOutcome(
                b, OverlayStatus.FAILED, attempt_inc=1, error_code=code, error_message=message
            )
            for b in blocks
        )
        return decision
    decision.outcomes.extend(_retry_or_fail(b, policy, code, message, pack_id=None) for b in blocks)
    decision.retry_same_pack = any(o.status is OverlayStatus.PENDING for o in decision.outcomes)
    return decision


def budget_exhausted(blocks: list[ClaimedBlock], policy: PolicySnapshot) -> Decision:
    """The run reached its budget before this call: nothing was called, nothing is counted; the
    blocks wait (pending) until the run is resumed with room in its budget."""
    message = f"the run reached its budget of {policy.budget_usd} USD before this call"
    return Decision(
        outcomes=[
            BlockOutcome(
                b,
                OverlayStatus.PENDING,
                error_code=ModelErrorCode.BUDGET_EXHAUSTED,
                error_message=message,
            )
            for b in blocks
        ]
    )


def with_flags(decision: Decision, *, definition: dict[str, Any], repacked: bool) -> Decision:
    """The same decision with the review flags of every block it settles (ai_complete or failed),
    computed from the block's own text and values. `repacked`: the pack came from a split or a
    lone retry, so every answer in it needed more than one try."""
    outcomes = [
        replace(
            o,
            flags=tuple(
                block_flags(
                    definition=definition,
                    values=o.staged,
                    text=o.block.text,
                    retried=repacked or o.block.attempt_count + o.attempt_inc > 0,
                )
            ),
        )
        if o.status in TERMINAL_OVERLAY_STATUSES
        else o
        for o in decision.outcomes
    ]
    return replace(decision, outcomes=outcomes)


def schema_failed(blocks: list[ClaimedBlock], message: str) -> Decision:
    """The run's schema cannot be evaluated: every block fails now with `schema_error` (a retry
    would pay for the same doomed validation; retry-failed after fixing nothing is the user's)."""
    return Decision(
        outcomes=[
            BlockOutcome(
                b,
                OverlayStatus.FAILED,
                attempt_inc=1,
                error_code=ModelErrorCode.SCHEMA_ERROR,
                error_message=message,
            )
            for b in blocks
        ]
    )
