"""Issue 14: a table set without rules (columns of numbers aligned by whitespace) is one table
block with its rows and columns, not a spill of loose blocks; prose set in two columns, or a
page with a few numbers in it, is not a table."""

from strata.contracts.blocks import BlockType
from strata.conversion.converters import convert_document
from tests.support.corpus import CORPUS
from tests.support.pdfgen import Span, layout_pdf

PROSE = "Results are summarised below for each model and data set we tried."


def _table_page() -> list[Span]:
    spans = [Span(72, 80, PROSE)]
    header = [(72, "Model"), (200, "Params"), (300, "Accuracy"), (400, "Latency (ms)")]
    spans += [Span(x, 120, text) for x, text in header]
    rows = [("Small", "1.2", "0.871", "12"), ("Medium", "3.4", "0.902", "25"),
            ("Large", "9.8", "0.934", "61"), ("Huge", "41.0", "0.951", "240")]  # fmt: skip
    for i, row in enumerate(rows):
        spans += [Span(x, 140 + i * 16, text) for (x, _), text in zip(header, row, strict=True)]
    # a cell of two lines (two runs of one model) beside single-line cells set centred on it
    spans += [Span(72, 210, "Tiny"), Span(200, 210, "0.3"), Span(300, 203, "0.701"),
              Span(300, 217, "0.712"), Span(400, 210, "4")]  # fmt: skip
    spans.append(Span(72, 260, "The larger models are slower but more accurate, as expected."))
    return spans


def test_an_unruled_table_is_one_table_block_with_rows_and_columns() -> None:
    blocks = convert_document("pdf", layout_pdf([_table_page()])).blocks
    assert [b.block_type for b in blocks] == [BlockType.PARAGRAPH, BlockType.TABLE,
                                             BlockType.PARAGRAPH]  # fmt: skip
    table = blocks[1].table
    assert table is not None and table.has_header
    assert table.rows == [
        ["Model", "Params", "Accuracy", "Latency (ms)"],
        ["Small", "1.2", "0.871", "12"],
        ["Medium", "3.4", "0.902", "25"],
        ["Large", "9.8", "0.934", "61"],
        ["Huge", "41.0", "0.951", "240"],
        ["Tiny", "0.3", "0.701 0.712", "4"],
    ]
    assert blocks[1].page_start == 1 and blocks[1].bbox is not None


def test_two_columns_of_prose_and_numbers_in_sentences_are_not_tables() -> None:
    left = [f"The left column sentence number {i} goes on" for i in range(8)]
    right = [f"while the right column line {i} carries 3 or 4" for i in range(8)]
    spans = [Span(72, 100 + i * 14, text, size=9) for i, text in enumerate(left)]
    spans += [Span(320, 100 + i * 14, text, size=9) for i, text in enumerate(right)]
    spans += [Span(72, 240 + i * 14, f"In {2000 + i} we sold {i * 10} units.") for i in range(4)]
    blocks = convert_document("pdf", layout_pdf([spans])).blocks
    assert BlockType.TABLE not in {b.block_type for b in blocks}


def test_a_booktabs_table_of_the_corpus_keeps_all_its_columns() -> None:
    path = CORPUS / "pdf" / "2305.03393v1-pg9.pdf"
    blocks = convert_document("pdf", path.read_bytes()).blocks
    (table,) = [b for b in blocks if b.block_type is BlockType.TABLE]
    assert table.table is not None
    rows = table.table.rows
    assert len(rows) == 5 and len(rows[0]) == 8
    assert rows[1] == ["6", "6", "OTSL HTML", "0.965 0.969", "0.934 0.927", "0.955 0.955",
                       "0.88 0.857", "2.73 5.39"]  # fmt: skip
    assert not any(b.text.startswith(("OTSL", "0.9")) for b in blocks if b is not table)


def test_aligned_columns_in_a_code_listing_stay_code() -> None:
    listing = [("r", "42"), ("s", "47"), ("x", "66"), ("y", "15")]
    spans = [Span(72, 80, PROSE)]
    for i, (name, value) in enumerate(listing):
        spans += [Span(72, 110 + i * 12, name, mono=True), Span(160, 110 + i * 12, value, mono=True)]
    blocks = convert_document("pdf", layout_pdf([spans])).blocks
    assert [b.block_type for b in blocks] == [BlockType.PARAGRAPH, BlockType.CODE]
