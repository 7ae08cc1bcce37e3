"""Plain text: paragraphs on blank lines, bulleted and numbered lines as list items."""

import codecs

import pytest

from strata.contracts.blocks import BlockType
from strata.conversion.converters import convert_document
from strata.conversion.errors import DecodeFailedError, UnsupportedSourceError
from strata.conversion.plaintext import plaintext_to_blocks
from strata.conversion.textdecode import decode_text


def _summary(text: str) -> list[tuple[str, str]]:
    return [(b.block_type.value, b.text) for b in plaintext_to_blocks(text)]


def test_paragraphs_split_on_blank_lines_and_lines_join_with_spaces() -> None:
    text = "First line\nsame   paragraph\r\n\r\n  \t \nSecond\rparagraph\n\n\n"
    assert _summary(text) == [
        ("paragraph", "First line same paragraph"),
        ("paragraph", "Second paragraph"),
    ]


def test_lone_cr_is_a_line_break() -> None:
    assert _summary("a\r\rb") == [("paragraph", "a"), ("paragraph", "b")]


def test_list_lines() -> None:
    text = "Shopping:\n- eggs\n* milk\n\u2022 bread\n1. one\n12) twelve\n  continued\nAfter list\n"
    assert _summary(text) == [
        ("paragraph", "Shopping:"),
        ("list_item", "eggs"),
        ("list_item", "milk"),
        ("list_item", "bread"),
        ("list_item", "1. one"),
        ("list_item", "12) twelve continued"),
        ("paragraph", "After list"),
    ]


def test_list_levels_from_indentation() -> None:
    blocks = plaintext_to_blocks("1. top\n  - nested\n    - deeper\n2. next\n")
    assert [(b.text, b.list_level) for b in blocks] == [
        ("1. top", 1), ("nested", 2), ("deeper", 3), ("2. next", 1),
    ]  # fmt: skip


def test_no_headings_from_plain_text() -> None:
    assert {b.block_type for b in plaintext_to_blocks("# Not a heading\n\nTITLE\n=====\n")} == {
        BlockType.PARAGRAPH
    }


def test_dash_without_text_is_not_an_item() -> None:
    assert _summary("-\n--\n") == [("paragraph", "- --")]


def test_empty_text_gives_no_blocks() -> None:
    assert plaintext_to_blocks("\n \n\t\n") == []


def test_decode_boms() -> None:
    assert decode_text(codecs.BOM_UTF8 + b"hi") == "hi"
    assert decode_text(codecs.BOM_UTF16_LE + "hé".encode("utf-16-le")) == "hé"
    assert decode_text(codecs.BOM_UTF16_BE + "hé".encode("utf-16-be")) == "hé"


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_latin1_and_cp1252_text_convert(fmt: str) -> None:
    # Issue 14: the same bytes as .csv converted, as .txt/.md they failed with decode_error.
    converted = convert_document(
        fmt, "Caf\u00e9 cr\u00e8me \u2013 na\u00efve \u20ac5".encode("cp1252")
    )
    assert converted.blocks[0].text == "Caf\u00e9 cr\u00e8me \u2013 na\u00efve \u20ac5"
    assert convert_document(fmt, b"\xc0 la carte").blocks[0].text == "\u00c0 la carte"


@pytest.mark.parametrize("data", [bytes(range(1, 32)) * 4 + b"\xff", b"nul\x00byte"])
def test_undecodable_text_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeFailedError) as info:
        convert_document("txt", data)
    assert info.value.error_code == "decode_error"


def test_unknown_source_format() -> None:
    with pytest.raises(UnsupportedSourceError):
        convert_document("odt", b"PK")
