"""Markdown rebuilds the documents: blocks in order, headings by depth, values under blocks."""

from pathlib import Path
from uuid import uuid4

from strata.export.columns import ValueColumn
from strata.export.writers.markdown import MarkdownWriter
from strata.export.writers.mdtext import block_markdown, escape_inline, values_line


def _row(document_id, index, block_type, text, *, section=(), review="unreviewed", flags=()):
    return {
        "run_id": "r1",
        "document_id": document_id,
        "filename": "contrat *final* <v2>.docx",
        "block_index": index,
        "block_type": block_type,
        "text": text,
        "section_path": list(section),
        "review_status": review,
        "flags": list(flags),
    }


def test_headings_take_their_depth_below_the_document_heading():
    assert block_markdown("heading", "Terms", []) == "### Terms"
    assert block_markdown("heading", "Payment\nterms", ["Terms"]) == "#### Payment terms"
    assert block_markdown("heading", "deep", ["a"] * 9).startswith("###### ")


def test_other_block_types():
    assert block_markdown("code", "x = 1", []) == "```\nx = 1\n```"
    assert block_markdown("code", "```inner```", []).startswith("````\n")
    assert block_markdown("quote", "a\nb", []) == "> a\n> b"
    assert block_markdown("list_item", "apples", []) == "- apples"
    assert block_markdown("list_item", "- apples", []) == "- apples"
    assert block_markdown("paragraph", "Text.", []) == "Text."


def test_escape_inline_neutralises_markup_and_folds_lines():
    assert escape_inline("a *b*\n<script>") == r"a \*b\* \<script\>"


def test_values_line_says_where_values_come_from():
    doc = uuid4()
    staged = values_line(
        _row(doc, 0, "paragraph", "t", flags=["number_not_in_text"]),
        "staged",
        [("amount", 12), ("who", "A|B"), ("paid", False)],
    )
    assert staged.startswith("> **staged (unreviewed)**")
    assert "amount: 12" in staged and r"who: A\|B" in staged and "paid: false" in staged
    assert "flags: number\\_not\\_in\\_text" in staged and f"`{doc}:0`" in staged
    confirmed = values_line(
        _row(doc, 1, "paragraph", "t", review="edited"), "confirmed", [("a", 1)]
    )
    assert confirmed.startswith("> **edited**")
    rejected = values_line(_row(doc, 2, "paragraph", "t", review="rejected"), None, [])
    assert rejected.startswith("> **rejected**")
    assert values_line(_row(doc, 3, "paragraph", "t"), None, []).startswith("> **no value**")


def test_writer_rebuilds_each_document_in_order(tmp_path: Path):
    first, second = uuid4(), uuid4()
    path = tmp_path / "out.md"
    columns = [ValueColumn("days", ("days",)), ValueColumn("party.city", ("party", "city"))]
    writer = MarkdownWriter(path, title="facts v1", columns=columns)
    writer.write(_row(first, 0, "heading", "Terms"), None, None)
    writer.write(
        _row(first, 1, "paragraph", "Pay in 30 days.", section=["Terms"]),
        "staged",
        '{"days": 30, "party": {"city": "Lyon"}}',
    )
    writer.write(_row(second, 0, "paragraph", "Other."), None, None)
    writer.finish([])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# facts v1\n")
    assert text.count(r"## contrat \*final\* \<v2\>.docx") == 2
    assert "**no value**" in text
    assert text.index("### Terms") < text.index("Pay in 30 days.") < text.index("days: 30")
    assert text.index("days: 30") < text.index("Other.") and "party.city: Lyon" in text
