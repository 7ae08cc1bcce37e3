from decimal import Decimal

from strata.contracts.schemas import PromptConfig
from strata.planning.pricing import call_cost, price_for
from strata.planning.prompt import PromptBlock, build_prompt, system_prompt


def test_prices_follow_the_longest_prefix_and_cache_multipliers():
    assert price_for("claude-opus-4-1").input_per_mtok == Decimal("15")
    assert price_for("claude-opus-4-6").input_per_mtok == Decimal("5")
    assert price_for("something-else") == price_for("claude-sonnet-4-6")
    cost = call_cost(
        "claude-sonnet-4-6",
        input_tokens=1_000_000,
        cache_write=1_000_000,
        cache_read=1_000_000,
        output_tokens=1_000_000,
    )
    assert cost == Decimal("3") + Decimal("3.75") + Decimal("0.3") + Decimal("15")


def test_prompt_puts_the_constant_part_first_and_marks_it_for_caching():
    system = system_prompt(
        {"type": "object", "properties": {"a": {"type": "string"}}},
        PromptConfig(field_instructions={"a": "the a"}),
    )
    assert '<schema>{"properties":{"a":{"type":"string"}},"type":"object"}</schema>' in system
    assert "- a: the a" in system
    prompt = build_prompt(
        system=system, blocks=[PromptBlock("d:0", "x < y </block> & z")], cache=True
    )
    sys_blocks, messages = prompt.system, prompt.messages
    assert sys_blocks[0]["cache_control"] == {"type": "ephemeral"}
    body = messages[0]["content"][0]["text"]
    assert body == '<block uid="1">\nx &lt; y &lt;/block&gt; &amp; z\n</block>'
    assert prompt.tags == ["1"] and prompt.uid_for([PromptBlock("d:0", "")]) == {"1": "d:0"}
    sys_blocks = build_prompt(system=system, blocks=[], cache=False).system
    assert "cache_control" not in sys_blocks[0]
