"""The real format comes from the bytes; the filename only tells Markdown from plain text."""

import codecs
import io
import zipfile

import pytest

from strata.ingest.sniff import decode_text, kind_from_filename, looks_like_markdown, sniff


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "gif"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8, "elf"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "exe"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "ole"),
        (bytes(range(256)) * 4, "binary"),
    ],
)
def test_magic_numbers(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_magic_wins_over_the_filename() -> None:
    assert sniff(b"%PDF-1.4\n...", "notes.md") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n", "report.txt") == "png"


def test_pdf_header_after_leading_garbage() -> None:
    assert sniff(b"\x00\x01junk\n%PDF-1.5\n\xff\xfe") == "pdf"


def test_text_mentioning_a_pdf_header_is_text() -> None:
    assert sniff(b"The file starts with %PDF-1.7 as its header.\n") == "txt"


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (("[Content_Types].xml", "word/document.xml"), "docx"),
        (("[Content_Types].xml", "xl/workbook.xml"), "xlsx"),
        (("[Content_Types].xml", "ppt/presentation.xml"), "pptx"),
        (("[Content_Types].xml", "custom/part.xml"), "ooxml"),
        (("word/document.xml", "readme.txt"), "zip"),
        (("data.csv",), "zip"),
    ],
)
def test_zip_and_ooxml(names: tuple[str, ...], kind: str) -> None:
    assert sniff(_zip(*names), "upload.md") == kind


def test_damaged_zip_falls_back_to_member_names_in_the_bytes() -> None:
    data = _zip("[Content_Types].xml", "word/document.xml")
    assert sniff(data[: len(data) // 2]) == "docx"
    assert sniff(b"PK\x03\x04garbage") == "zip"


def test_utf8_text_is_txt() -> None:
    assert sniff("Plain words, naïve café, nothing else.\nSecond line.\n".encode()) == "txt"


def test_utf8_bom_text() -> None:
    assert sniff(codecs.BOM_UTF8 + b"hello there\n") == "txt"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_text(encoding: str) -> None:
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    assert sniff(bom + "Hello, world\n# Title\n".encode(encoding)) == "md"
    assert sniff(bom + "Hello, world\n".encode(encoding)) == "txt"


def test_utf16_without_bom_is_not_text() -> None:
    assert sniff("Hello, world\n".encode("utf-16-le")) == "binary"


def test_nul_bytes_are_not_text() -> None:
    assert sniff(b"hello\x00world\n") == "binary"


def test_many_control_characters_are_not_text() -> None:
    assert sniff(b"ab\x01\x02\x03\x04cd\x05\x06\x07\x08" * 10) == "binary"
    assert decode_text(b"tabs\tand\fform feeds\r\n are fine") is not None


def test_invalid_utf8_is_not_text() -> None:
    assert sniff(b"caf\xe9 au lait\n") == "binary"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><body>x</body></html>",
        b"\n  <html lang='en'><head></head></html>",
        b"<!doctype HTML><title>x</title>",
    ],
)
def test_html(data: bytes) -> None:
    assert sniff(data, "page.md") == "html"


@pytest.mark.parametrize(
    "text",
    [
        "# Title\n\nSome text.\n",
        "Intro\n\n```python\nprint(1)\n```\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "See [the docs](https://example.com) for more.\n",
        "Shopping:\n\n- eggs\n- milk\n",
        "Steps:\n1. open\n2. close\n",
    ],
)
def test_markdown_signals(text: str) -> None:
    assert looks_like_markdown(text)
    assert sniff(text.encode(), "notes") == "md"
    assert sniff(text.encode(), None) == "md"


def test_a_text_name_decides_between_markdown_and_plain_text() -> None:
    assert sniff(b"# Title\n\n- a\n- b\n", "notes.txt") == "txt"
    assert sniff(b"just words\n", "notes.md") == "md"
    # ... but never turns binary bytes into text.
    assert sniff(b"%PDF-1.7\n", "notes.md") == "pdf"


def test_a_single_dash_line_is_not_markdown() -> None:
    assert sniff(b"Dear team,\n- see you soon\nBye\n") == "txt"


def test_md_filename_makes_plain_text_markdown() -> None:
    assert sniff(b"Just words.\n", "notes.md") == "md"
    assert sniff(b"Just words.\n", "notes.MARKDOWN") == "md"
    assert sniff(b"Just words.\n", "notes.txt") == "txt"


def test_kind_from_filename() -> None:
    assert kind_from_filename("a/b/Report.PDF") == "pdf"
    assert kind_from_filename("x.md") == "md"
    assert kind_from_filename("noext") is None
    assert kind_from_filename(None) is None
