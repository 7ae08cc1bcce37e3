import json
from uuid import uuid4

from jsonschema import Draft202012Validator

from strata.contracts.overlays import ModelErrorCode, OverlayStatus
from strata.contracts.policy import PolicySnapshot
from strata.worker.answers import map_answer
from strata.worker.outcomes import ClaimedBlock, after_answer, after_error

DOC = uuid4()
POLICY = PolicySnapshot(max_attempts=3)
V = Draft202012Validator(
    {"type": "object", "properties": {"t": {"type": "string"}}, "required": ["t"]}
)


def claimed(n: int, attempts: int = 0) -> list[ClaimedBlock]:
    return [ClaimedBlock(DOC, i, attempts, f"text {i}") for i in range(n)]


def test_valid_answers_complete_and_bad_ones_are_retried_alone():
    blocks = claimed(3)
    text = json.dumps({blocks[0].uid: {"t": "a"}, blocks[1].uid: {"t": 5}})
    decision = after_answer(blocks, map_answer(text, [b.uid for b in blocks], V), POLICY)
    statuses = [o.status for o in decision.outcomes]
    assert statuses == [OverlayStatus.AI_COMPLETE, OverlayStatus.PENDING, OverlayStatus.PENDING]
    assert decision.outcomes[0].staged == {"t": "a"}
    retried = [o for o in decision.outcomes if o.status is OverlayStatus.PENDING]
    assert all(
        o.attempt_inc == 1 and o.error_code == ModelErrorCode.INVALID_OUTPUT for o in retried
    )
    assert len({o.pack_id for o in retried}) == 2  # each alone
    assert decision.new_packs == {o.pack_id: 1 for o in retried}


def test_invalid_answer_fails_at_max_attempts():
    blocks = claimed(1, attempts=2)
    decision = after_answer(blocks, map_answer("{}", [blocks[0].uid], V), POLICY)
    assert decision.outcomes[0].status is OverlayStatus.FAILED
    assert decision.new_packs == {}


def test_overflow_splits_in_halves_without_counting_an_attempt():
    decision = after_answer(claimed(5), None, POLICY)
    assert sorted(decision.new_packs.values()) == [2, 3]
    assert all(o.status is OverlayStatus.PENDING and o.attempt_inc == 0 for o in decision.outcomes)


def test_a_single_block_that_overflows_fails_with_overflow():
    decision = after_answer(claimed(1), None, POLICY)
    assert decision.outcomes[0].status is OverlayStatus.FAILED
    assert decision.outcomes[0].error_code == ModelErrorCode.OVERFLOW


def test_key_errors_release_without_counting_attempts():
    decision = after_error(
        claimed(2), code=ModelErrorCode.NO_API_KEY, message="m", retryable=False, policy=POLICY
    )
    assert all(o.status is OverlayStatus.PENDING and o.attempt_inc == 0 for o in decision.outcomes)
    assert not decision.retry_same_pack


def test_a_rate_limit_counts_no_attempt_and_retries_the_same_pack():
    decision = after_error(
        claimed(2, attempts=2),  # one attempt left: a 429 still never fails the blocks
        code=ModelErrorCode.RATE_LIMITED,
        message="429",
        retryable=True,
        policy=POLICY,
    )
    assert decision.retry_same_pack and not decision.new_packs
    assert all(
        (o.status, o.attempt_inc, o.pack_id, o.error_code)
        == (OverlayStatus.PENDING, 0, None, ModelErrorCode.RATE_LIMITED)
        for o in decision.outcomes
    )


def test_retryable_errors_count_attempts_and_retry_the_same_pack():
    decision = after_error(
        claimed(2), code=ModelErrorCode.OVERLOADED, message="529", retryable=True, policy=POLICY
    )
    assert decision.retry_same_pack
    assert all(o.attempt_inc == 1 and o.pack_id is None for o in decision.outcomes)
    exhausted = after_error(
        claimed(2, attempts=2),
        code=ModelErrorCode.OVERLOADED,
        message="529",
        retryable=True,
        policy=POLICY,
    )
    assert all(o.status is OverlayStatus.FAILED for o in exhausted.outcomes)
    assert not exhausted.retry_same_pack
