"""Issue 14: docling's inline runs are one block; list items keep their number and level."""

from pathlib import Path

from strata.contracts.blocks import BlockType
from strata.conversion.converters import convert_document
from tests.support import hostile

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def _blocks(fmt: str, data: bytes) -> list[tuple[str, str, int | None]]:
    return [(b.block_type.value, b.text, b.list_level) for b in convert_document(fmt, data).blocks]


def test_an_html_sentence_with_a_link_is_one_block() -> None:
    html = b'<html><body><p>Please follow <a href="#">This page</a>.</p></body></html>'
    assert _blocks("html", html) == [("paragraph", "Please follow This page.", None)]


def test_a_docx_sentence_with_bold_and_italic_runs_is_one_block() -> None:
    runs = (
        "The total is </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>42 EUR</w:t></w:r>"
        '<w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve"> before tax</w:t></w:r>'
        "<w:r><w:t>."
    )
    blocks = _blocks("docx", hostile.docx([runs, "Next paragraph."]))
    assert blocks == [
        ("paragraph", "The total is 42 EUR before tax.", None),
        ("paragraph", "Next paragraph.", None),
    ]


def test_html_lists_keep_numbers_and_nesting_level() -> None:
    html = (
        b"<html><body><ol><li>One <b>bold</b> item<ol><li>Sub a</li><li>Sub b</li></ol></li>"
        b"<li>Two</li></ol><ul><li>Bullet</li></ul></body></html>"
    )
    assert _blocks("html", html) == [
        ("list_item", "1. One bold item", 1),
        ("list_item", "1. Sub a", 2),
        ("list_item", "2. Sub b", 2),
        ("list_item", "2. Two", 1),
        ("list_item", "Bullet", 1),
    ]


def test_docx_lists_keep_numbers_and_levels() -> None:
    blocks = convert_document("docx", (CORPUS / "docx" / "docx_lists.docx").read_bytes()).blocks
    items = [b for b in blocks if b.block_type is BlockType.LIST_ITEM]
    assert items and all(b.list_level for b in items)
    assert ("1. List item a", 1) in [(b.text, b.list_level) for b in items]
    assert ("List item 1.1", 2) in [(b.text, b.list_level) for b in items]


def test_an_html_fragment_converts_as_html_without_markup_or_script() -> None:
    fragment = (
        b"<h1>T</h1><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
        b"<script>alert('x')</script>"
    )
    blocks = convert_document("html", fragment).blocks
    assert [(b.block_type.value, b.text.split("\n")[0]) for b in blocks] == [
        ("heading", "T"),
        ("table", "| a | b |"),
    ]


def test_docx_checkboxes_keep_their_state() -> None:
    w14 = "http://schemas.microsoft.com/office/word/2010/wordml"

    def box(checked: bool, text: str) -> str:
        glyph = "\u2612" if checked else "\u2610"
        return (
            f'</w:t></w:r><w:sdt><w:sdtPr><w14:checkbox xmlns:w14="{w14}">'
            f'<w14:checked w14:val="{int(checked)}"/></w14:checkbox></w:sdtPr><w:sdtContent>'
            f"<w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
            f'<w:r><w:t xml:space="preserve"> {text}'
        )

    data = hostile.docx([box(True, "Done task"), box(False, "Open task")])
    assert _blocks("docx", data) == [
        ("list_item", "[x] Done task", 1),
        ("list_item", "[ ] Open task", 1),
    ]
