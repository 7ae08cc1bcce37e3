"""The review grid's columns follow the schema's own field order, which jsonb does not keep."""

from strata.gateway.domain.builder import to_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.pages.review_values import columns


def test_columns_follow_the_recorded_order_not_the_jsonb_key_order() -> None:
    spec = BuilderSpec.model_validate(
        {"fields": [{"name": n, "type": "text"} for n in ("zeta", "alpha", "middle_one")]}
    )
    definition, _ = to_schema(spec)
    stored = {**definition, "properties": dict(sorted(definition["properties"].items()))}
    assert list(stored["properties"]) == ["alpha", "middle_one", "zeta"]
    assert columns(stored) == ["zeta", "alpha", "middle_one"]


def test_columns_without_a_usable_order_keep_the_properties() -> None:
    definition = {"properties": {"b": {}, "a": {}}, "x-order": ["a"]}  # names too few
    assert columns(definition) == ["b", "a"]
    assert columns({"properties": {"b": {}, "a": {}}}) == ["b", "a"]
    assert columns({"properties": "nope"}) == []
