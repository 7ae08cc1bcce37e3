"""Issue 14: tiny blocks join their neighbour; a chart's data is a table block; the quality
bench's scoring is right on a hand-made case."""

from pathlib import Path

from strata.contracts.blocks import BlockDraft, BlockType, TableCells
from strata.conversion.converters import convert_document
from strata.conversion.tiny import join_tiny

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def _item(text: str, level: int = 1) -> BlockDraft:
    return BlockDraft(block_type=BlockType.LIST_ITEM, text=text, list_level=level)


def test_tiny_list_items_join_their_siblings_only() -> None:
    blocks = [_item("I1"), _item("I2"), _item("nested", 2), _item("Bar"), _item("Longer item")]
    assert [(b.text, b.list_level) for b in join_tiny(blocks)] == [
        ("I1\nI2", 1),
        ("nested", 2),
        ("Bar\nLonger item", 1),
    ]
    heading = BlockDraft(block_type=BlockType.HEADING, text="IBM")
    assert join_tiny([heading, _item("ok")]) == [heading, _item("ok")]


def test_a_pptx_chart_becomes_a_table_block() -> None:
    blocks = convert_document("pptx", (CORPUS / "pptx" / "pptx_chart.pptx").read_bytes()).blocks
    tables = [b.table for b in blocks if b.block_type is BlockType.TABLE]
    assert tables and tables[0] is not None
    assert ["2019", "120", "80"] in [[c.strip() for c in row] for row in tables[0].rows]


def test_quality_scoring_counts_words_headings_and_cells() -> None:
    from bench.quality import score_file  # noqa: PLC0415

    reference = (
        "# Title\n\nSee [the page](http://x.example/a).\n\n| a | b |\n| - | - |\n| 1 | 2 |\n"
    )
    blocks = [
        BlockDraft(block_type=BlockType.HEADING, text="Title"),
        BlockDraft(block_type=BlockType.PARAGRAPH, text="See the page. Extra"),
        BlockDraft(
            block_type=BlockType.TABLE,
            text="| a | b |",
            table=TableCells(rows=[["a", "b"], ["1", "9"]]),
        ),
    ]
    score = score_file(blocks, reference)
    assert (score.ref_words, score.our_words, score.common_words) == (8, 9, 7)
    assert (score.headings, score.headings_found) == (1, 1)
    assert (score.cells, score.cells_found) == (4, 3)
