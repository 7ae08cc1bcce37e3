"""Formula neutralisation (OWASP CSV injection)."""

import pytest

from strata.export.cells import neutralise, safe_cell


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("http://x")']
)
def test_formula_starts_get_a_leading_quote(text: str):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "plain", "a=b", " =x", "'quoted", "1+1", "€5"])
def test_other_text_is_untouched(text: str):
    assert neutralise(text) == text


def test_only_strings_are_neutralised():
    assert safe_cell(-5) == -5 and safe_cell(-0.5) == -0.5
    assert safe_cell(True) is True and safe_cell(None) is None
    assert safe_cell("-5") == "'-5"
