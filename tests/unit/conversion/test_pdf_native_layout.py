"""Issue 14: the model-free PDF path: roman page numbers are furniture, plot labels are not
headings, two-column pages read column by column, glyph junk is dropped. Pure (no PDF)."""

from strata.contracts.blocks import BlockType
from strata.conversion.pdflayout import Line, lines_to_blocks
from strata.conversion.pdforder import clean, drop_furniture, reading_order


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


def _body(top: float, n: int = 6, font: str = "Times") -> list[Line]:
    return [Line(1, 72, top + i * 12, 400, top + 10 + i * 12,
                 f"Body sentence {i} of the section goes on and on", font) for i in range(n)]  # fmt: skip


def _headings(lines: list[Line]) -> list[str]:
    return [b.text for b in lines_to_blocks([lines], []) if b.block_type is BlockType.HEADING]


def test_headings_heavier_than_the_body_at_body_size() -> None:
    latex = Line(1, 72, 80, 300, 90, "5.1 Hyper Parameter Optimization", "AAAAAD+SFBX1000")
    assert _headings([latex, *_body(95, font="AAAAAC+SFRM1000")]) == [latex.text]
    medium = Line(1, 72, 80, 300, 90, "Scope of the rules", "KoPubDotumMedium")
    assert _headings([medium, *_body(95, font="KoPubBatangLight")]) == [medium.text]
    # Medium over a Medium body is the body's weight: not a heading.
    assert _headings([medium, *_body(95, font="KoPubDotumMedium")]) == []


def test_a_marked_heavier_line_followed_by_body_heads_a_section_but_bold_items_do_not() -> None:
    marked = Line(1, 72, 80, 300, 90, "(1) Changes to the law", "Arial-BoldMT")
    assert _headings([marked, *_body(95)]) == [marked.text]
    items = [Line(1, 72, 80 + i * 12, 200, 90 + i * 12, f"({i}) Short item", "Arial-BoldMT")
             for i in range(1, 4)]  # fmt: skip
    assert _headings(items) == []


def test_a_line_numbered_like_a_section_is_a_heading_a_quantity_is_not() -> None:
    numbered = Line(1, 72, 80, 300, 90, "2.3 Results", "Times")
    quantity = Line(1, 72, 80, 300, 90, "2.5 kg of flour", "Times")
    assert _headings([numbered, *_body(95)]) == ["2.3 Results"]
    assert _headings([quantity, *_body(95)]) == []


def test_a_section_number_beside_its_title_is_not_a_page_number() -> None:
    number = Line(1, 73, 93, 81, 108, "4", "Bold")
    title = Line(1, 98, 93, 200, 108, "Outlook", "Bold")
    lone = Line(1, 300, 800, 306, 810, "4", "Times")
    kept = drop_furniture([[number, title, *_body(120), lone]], {1: 842.0})
    assert [ln.text for ln in kept[0]][:2] == ["4", "Outlook"] and lone not in kept[0]


def test_pdf_list_items_keep_their_numbers_and_get_levels_from_indents() -> None:
    texts = [(72, "1. Fruit"), (90, "a) Apples"), (90, "b) Pears"), (108, "- Conference"),
             (72, "2. Vegetables"), (90, "a) Leeks")]  # fmt: skip
    lines = [Line(1, x, 100 + i * 20, 400, 110 + i * 20, t, "Times") for i, (x, t) in
             enumerate(texts)]  # fmt: skip
    after = Line(1, 72, 240, 400, 250, "A paragraph ends the list.", "Times")
    blocks = lines_to_blocks([[*lines, after]], [])
    assert [(b.text, b.list_level) for b in blocks] == [
        ("1. Fruit", 1), ("a) Apples", 2), ("b) Pears", 2), ("- Conference", 3),
        ("2. Vegetables", 1), ("a) Leeks", 2), ("A paragraph ends the list.", None),
    ]  # fmt: skip


def test_a_line_that_only_starts_with_a_bold_word_is_not_a_heading() -> None:
    # docling-parse names a line's font after its first glyph: "update-db is ..." set with
    # its first word bold reads as a bold line; it wraps into the paragraph, tight and full.
    lines = [Line(1, 72, 100, 400, 110, "Before the index is built, the tool must run", "Times"),
             Line(1, 72, 113, 400, 123, "update-db is passed the folder holding the files", "Times-Bold"),
             Line(1, 72, 126, 400, 136, "to index and writes one file for each of them.", "Times")]  # fmt: skip
    blocks = lines_to_blocks([lines], [])
    assert [(b.block_type, b.text[:20]) for b in blocks] == [
        (BlockType.PARAGRAPH, "Before the index is ")
    ]


def test_contents_entries_with_dot_leaders_are_not_headings() -> None:
    entries = [Line(1, 72, 100 + i * 14, 400, 110 + i * 14, f"{i} Chapter {i} . . . . . . . {i * 7}",
                    "Times-Bold") for i in range(1, 4)]  # fmt: skip
    assert _headings([*entries, *_body(160)]) == []


def test_a_slightly_taller_line_box_in_a_tight_paragraph_is_not_a_new_paragraph() -> None:
    # A bracket or an accent makes one line's box taller; the lines are still set 12 pt apart.
    lines = [Line(1, 72, 100, 400, 109.3, "We have chosen the data set to perform the", "Times"),
             Line(1, 72, 110.6, 400, 121.7, "search [9] since it includes a highly diverse", "Times"),
             Line(1, 72, 124, 300, 133.3, "set of tables.", "Times")]  # fmt: skip
    assert len(lines_to_blocks([lines], [])) == 1
    title = Line(1, 72, 80, 300, 94, "A Larger Title", "Times")
    assert _headings([title, *_body(97)]) == ["A Larger Title"]  # 40% larger, set tight
