"""Comparing runs and scoring against confirmed data (pure)."""

from strata.gateway.domain.scoring import accuracy, compare, normalise


def test_normalising_strings_and_numbers() -> None:
    assert normalise("  Net   Total ") == normalise("net total")
    assert normalise(5) == normalise(5.0) and normalise("5") != normalise(5)
    assert normalise(True) != normalise(1)
    assert normalise({"b": [" X "], "a": 1}) == normalise({"a": 1.0, "b": ["x"]})


def test_compare_gives_per_field_agreement_and_the_differing_blocks() -> None:
    left = {("d", 0): {"a": 1, "b": "x"}, ("d", 1): {"a": 2, "b": "y"}, ("d", 2): {"a": 3}}
    right = {("d", 0): {"a": 1.0, "b": "X"}, ("d", 1): {"a": 5, "b": "y"}, ("d", 9): {"a": 1}}
    out = compare(left, right)
    assert (out["blocks_compared"], out["only_left"], out["only_right"]) == (2, 1, 1)
    assert out["fields"] == {"a": 0.5, "b": 1.0}
    assert out["differing"] == [{"key": ("d", 1), "fields": {"a": {"left": 2, "right": 5}}}]


def test_accuracy_counts_null_against_value_apart() -> None:
    truth = {
        ("d", 0): {"a": 1, "b": None},
        ("d", 1): {"a": 2, "b": "z"},
        ("d", 2): {"a": 3, "b": "q"},
    }
    answers = {("d", 0): {"a": 1, "b": "oops"}, ("d", 1): {"a": None, "b": " Z"}, ("d", 2): None}
    out = accuracy(truth, answers)
    assert out["fields"]["a"] == {
        "correct": 1,
        "wrong": 0,
        "missing": 2,
        "spurious": 0,
        "accuracy": 1 / 3,
    }
    assert out["fields"]["b"] == {
        "correct": 1,
        "wrong": 0,
        "missing": 1,
        "spurious": 1,
        "accuracy": 1 / 3,
    }
    assert out["overall"] == 2 / 6
    assert accuracy({}, {}) == {"fields": {}, "overall": None}
