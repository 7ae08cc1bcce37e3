"""Issue 14: right-to-left text in PDFs (model-free path) comes out in logical order, whatever
order the extractor saw it in; numbers and Latin words inside keep theirs; table cells and
two-column pages read right to left too."""

from strata.conversion.converters import convert_document
from strata.conversion.pdfbidi import logical_lines, order_evidence, to_logical
from strata.conversion.pdfgrid import cell_text
from strata.conversion.pdflayout import Line
from strata.conversion.pdforder import reading_order
from tests.support.pdfgen import Span, glyph_by_glyph, layout_pdf

HEBREW = "שלום עולם"
PRICE = "מחיר: 1,000.50 שקל"  # visual: "לקש 1,000.50 :ריחמ"
PRICE_VISUAL = "לקש 1,000.50 :ריחמ"
ARABIC = "البرمجة بلغة Python"
ARABIC_VISUAL = "Python ةغلب ةجمربلا"


def _texts(pdf: bytes) -> list[str]:
    return [b.text for b in convert_document("pdf", pdf).blocks]


def test_lines_drawn_in_visual_order_read_in_logical_order() -> None:
    lines = [HEBREW[::-1], PRICE_VISUAL, ARABIC_VISUAL]
    pdf = layout_pdf([[Span(72, 100 + i * 30, text) for i, text in enumerate(lines)]])
    assert _texts(pdf) == [HEBREW, PRICE, ARABIC]


def test_glyphs_placed_one_by_one_right_to_left_make_one_logical_line() -> None:
    spans = [*glyph_by_glyph(72, 100, HEBREW[::-1]), *glyph_by_glyph(72, 130, PRICE_VISUAL),
             Span(72, 160, "An English line stays as it is.")]  # fmt: skip
    assert _texts(layout_pdf([spans])) == [HEBREW, PRICE, "An English line stays as it is."]


def test_the_order_is_told_from_word_shapes() -> None:
    assert order_evidence("םולש") > 0  # a final mem first: visual
    assert order_evidence("שלום") < 0
    assert order_evidence("ةغلب ةجمربلا") > 0  # teh marbuta first, article last: visual
    assert order_evidence("البرمجة بلغة") < 0
    assert order_evidence("\ufe94\ufed0\ufee0\ufe91") > 0  # presentation forms: final first
    assert order_evidence("מחיר") == 0  # no evidence either way


def test_a_visual_arabic_line_with_latin_words_and_ligatures_turns_logical() -> None:
    # A line of docling's right_to_left_01.pdf as its extractor gives it (visual order).
    visual = "Python و R ةغلب ةجمربلا للاخ نم تلاكشملا لحو ةيجاتنلإا نيسحت"
    assert to_logical(visual, visual=True) == (
        "تحسين الإنتاجية وحل المشكلات من خلال البرمجة بلغة R و Python"
    )
    assert to_logical("لا مل", visual=True) == "لم لا"  # the word "no" is one ligature
    assert to_logical("(3) הרעה", visual=True) == "הערה (3)"
    assert to_logical("\ufe94\ufed0\ufee0\ufe91", visual=True) == "بلغة"  # forms folded
    assert to_logical("plain English (1)", visual=True) == "plain English (1)"


def test_a_line_without_evidence_follows_the_document() -> None:
    def line(text: str, top: float) -> Line:
        return Line(1, 72, top, 200, top + 10, text)

    pages = [[line("םולש", 100), line("ריחמ", 120), line("English", 140)]]
    assert [ln.text for ln in logical_lines(pages)[0]] == ["שלום", "מחיר", "English"]
    pages = [[line("שלום", 100), line("מחיר", 120)]]
    assert [ln.text for ln in logical_lines(pages)[0]] == ["שלום", "מחיר"]


def test_a_right_to_left_table_cell_reads_its_words_right_to_left() -> None:
    words = [((100.0, 10.0, 130.0, 20.0), "בלגה"), ((140.0, 10.0, 170.0, 20.0), "אבג")]
    assert cell_text(words) == "אבג בלגה"
    assert cell_text([((10.0, 0.0, 20.0, 9.0), "b"), ((0.0, 0.0, 9.0, 9.0), "a")]) == "a b"


def test_a_right_to_left_two_column_page_reads_its_right_column_first() -> None:
    right = [Line(1, 320, 100 + i * 14, 520, 110 + i * 14, f"ימין {i}") for i in range(6)]
    left = [Line(1, 72, 100 + i * 14, 272, 110 + i * 14, f"שמאל {i}") for i in range(6)]
    ordered = reading_order([*left, *right])
    assert [ln.text for ln in ordered] == [ln.text for ln in [*right, *left]]
