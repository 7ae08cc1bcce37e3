"""Issue 14: the model-free PDF path: roman page numbers are furniture, plot labels are not
headings, two-column pages read column by column, glyph junk is dropped. Pure (no PDF)."""

from strata.contracts.blocks import BlockType
from strata.conversion.pdflayout import Line, drop_furniture, lines_to_blocks
from strata.conversion.pdforder import clean, reading_order


def _line(text: str, x0: float, top: float, *, width: float = 200, size: float = 10) -> Line:
    return Line(1, x0, top, x0 + width, top + size, text, "Times")


def test_roman_page_numbers_in_the_margin_are_dropped() -> None:
    pages = [[_line("Body text on the page.", 72, 300), _line("xii", 300, 760, width=12)]]
    kept = drop_furniture(pages, {1: 792.0})
    assert [ln.text for ln in kept[0]] == ["Body text on the page."]
    civil = [[_line("civil", 300, 760, width=20)]]  # a word made of roman letters is not one
    assert [ln.text for ln in drop_furniture(civil, {1: 792.0})[0]] == ["civil"]


def test_short_labels_set_large_are_not_headings() -> None:
    body = [_line(f"Body sentence number {i} continues here", 72, 100 + i * 12) for i in range(8)]
    labels = [Line(1, 72, 300 + i * 30, 90, 314 + i * 30, t, "Arial") for i, t in
              enumerate(["0.5", "100", "(b)"])]  # fmt: skip
    title = Line(1, 72, 50, 300, 66, "Results Overview", "Arial")
    blocks = lines_to_blocks([[title, *body, *labels]], [])
    assert [b.text for b in blocks if b.block_type is BlockType.HEADING] == ["Results Overview"]


def test_two_column_pages_read_left_column_then_right() -> None:
    title = _line("A Title Across Both Columns", 72, 40, width=460)
    left = [_line(f"left {i}", 72, 100 + i * 14) for i in range(6)]
    right = [_line(f"right {i}", 320, 100 + i * 14) for i in range(6)]
    interleaved = [x for pair in zip(right, left, strict=True) for x in pair] + [title]
    ordered = reading_order(interleaved)
    assert [ln.text for ln in ordered] == [
        "A Title Across Both Columns",
        *(f"left {i}" for i in range(6)),
        *(f"right {i}" for i in range(6)),
    ]
    single = [_line(f"line {i}", 72, 100 + i * 14, width=460) for i in range(12)]
    assert reading_order(single) == single


def test_glyph_junk_is_dropped_and_control_characters_removed() -> None:
    lines = [_line("\ufffd \ufffd\ufffd", 72, 100), _line("Real\x84 text", 72, 120),
             _line("\ue001\ue002", 72, 140)]  # fmt: skip
    assert [ln.text for ln in clean(lines)] == ["Real text"]
