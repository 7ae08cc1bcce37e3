"""Markdown rules, one small document each."""

from strata.contracts.blocks import BlockType, TableCells
from strata.conversion.markdown import markdown_to_blocks
from strata.planning.tokens import estimate_tokens


def _summary(source: str) -> list[tuple[str, str, list[str]]]:
    return [(b.block_type.value, b.text, b.section_path) for b in markdown_to_blocks(source)]


def test_headings_nest_and_pop() -> None:
    source = "# A\n\npa\n\n## B\n\npb\n\n### C\n\npc\n\n## D\n\npd\n\n# E\n\npe\n"
    assert _summary(source) == [
        ("heading", "A", []),
        ("paragraph", "pa", ["A"]),
        ("heading", "B", ["A"]),
        ("paragraph", "pb", ["A", "B"]),
        ("heading", "C", ["A", "B"]),
        ("paragraph", "pc", ["A", "B", "C"]),
        ("heading", "D", ["A"]),
        ("paragraph", "pd", ["A", "D"]),
        ("heading", "E", []),
        ("paragraph", "pe", ["E"]),
    ]


def test_skipped_heading_levels_and_setext() -> None:
    source = "Top\n===\n\n### Deep\n\nx\n\nMid\n---\n\ny\n"
    assert _summary(source) == [
        ("heading", "Top", []),
        ("heading", "Deep", ["Top"]),
        ("paragraph", "x", ["Top", "Deep"]),
        ("heading", "Mid", ["Top"]),
        ("paragraph", "y", ["Top", "Mid"]),
    ]


def test_nested_list_items_are_separate_blocks_in_order() -> None:
    source = "# L\n\n- one\n  - one.a\n    - one.a.i\n  - one.b\n- two\n\n1. first\n2. second\n"
    assert _summary(source) == [
        ("heading", "L", []),
        ("list_item", "one", ["L"]),
        ("list_item", "one.a", ["L"]),
        ("list_item", "one.a.i", ["L"]),
        ("list_item", "one.b", ["L"]),
        ("list_item", "two", ["L"]),
        ("list_item", "first", ["L"]),
        ("list_item", "second", ["L"]),
    ]


def test_loose_list_item_keeps_its_paragraphs_and_not_its_children() -> None:
    source = "- first para\n\n  second para\n\n  - child\n- next\n"
    assert _summary(source) == [
        ("list_item", "first para\nsecond para", []),
        ("list_item", "child", []),
        ("list_item", "next", []),
    ]


def test_empty_list_items_are_not_blocks() -> None:
    assert _summary("-\n\n1.\n\n- real\n") == [("list_item", "real", [])]


def test_table_keeps_cells_and_renders_github_markdown() -> None:
    source = "# T\n\n| Name | Qty |\n|:-----|----:|\n| *egg* | 2 |\n| a\\|b | |\n"
    [heading, table] = markdown_to_blocks(source)
    assert heading.block_type is BlockType.HEADING
    assert table.block_type is BlockType.TABLE
    assert table.table == TableCells(
        rows=[["Name", "Qty"], ["egg", "2"], ["a|b", ""]], has_header=True
    )
    assert table.text == "| Name | Qty |\n|---|---|\n| egg | 2 |\n| a\\|b |  |"
    assert table.section_path == ["T"]


def test_fenced_and_indented_code() -> None:
    source = "```python\nprint('hi')\n\nx = 1\n```\n\n    indented()\n\n```\n\n```\n"
    blocks = markdown_to_blocks(source)
    assert [(b.block_type, b.text) for b in blocks] == [
        (BlockType.CODE, "print('hi')\n\nx = 1"),
        (BlockType.CODE, "indented()"),
    ]


def test_blockquote_becomes_quote_blocks() -> None:
    source = "# Q\n\n> said once\n>\n> said twice\n\nafter\n"
    assert _summary(source) == [
        ("heading", "Q", []),
        ("quote", "said once", ["Q"]),
        ("quote", "said twice", ["Q"]),
        ("paragraph", "after", ["Q"]),
    ]


def test_html_block_is_a_paragraph_without_tags() -> None:
    source = "<div>\n  <p>Hello &amp; <b>bye</b></p>\n</div>\n\n<!-- hidden -->\n\n<br>\n"
    assert _summary(source) == [("paragraph", "Hello & bye", [])]


def test_rules_and_blank_fragments_are_not_blocks() -> None:
    assert _summary("a\n\n---\n\n***\n\nb\n") == [("paragraph", "a", []), ("paragraph", "b", [])]
    assert markdown_to_blocks("") == []
    assert markdown_to_blocks("   \n\n---\n") == []


def test_inline_markup_keeps_the_readable_text() -> None:
    source = (
        "Some **bold**, _em_, `code()`, [a link](http://x.y), ![alt *text*](i.png),"
        " <span>raw</span> and &copy;\\*.\nNext line."
    )
    assert _summary(source) == [
        ("paragraph", "Some bold, em, code(), a link, alt text, raw and ©*. Next line.", [])
    ]


def test_token_estimate_and_no_page_numbers() -> None:
    for block in markdown_to_blocks("# H\n\ntext here\n\n- item\n"):
        assert block.token_estimate == estimate_tokens(block.text)
        assert block.page_start is None and block.page_end is None
