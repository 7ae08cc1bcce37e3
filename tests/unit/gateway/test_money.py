"""Money in JSON: a decimal string with exactly 8 decimals, one type for every field."""

from decimal import Decimal

import pytest

from strata.gateway.api_models import Overlay, RunUsage, money_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0E-8"), "0.00000000"),
        (Decimal(0), "0.00000000"),
        (Decimal("1.5"), "1.50000000"),
        (Decimal("0.123456789012345678"), "0.12345679"),
        (Decimal("12345.00000001"), "12345.00000001"),
    ],
)
def test_money_text(value, text):
    assert money_text(value) == text


def test_every_money_field_is_a_fixed_scale_string():
    usage = RunUsage(
        calls=1,
        input_tokens=1,
        cache_write_tokens=0,
        cache_read_tokens=0,
        output_tokens=1,
        cost_usd=Decimal("0E-8"),
        budget_usd=Decimal("2"),
        reserved_usd=None,
    ).model_dump(mode="json")
    assert (usage["cost_usd"], usage["budget_usd"], usage["reserved_usd"]) == (
        "0.00000000",
        "2.00000000",
        None,
    )
    schema = Overlay.model_json_schema(mode="serialization")["properties"]["cost_usd"]
    assert schema["type"] == "string" and "{8}" in schema["pattern"]
