"""What a file really is, from its bytes (magic numbers, then text heuristics). Pure.

The filename is only a hint between Markdown and plain text; it never overrides the bytes.
"""

import codecs
import io
import re
import zipfile
from pathlib import PurePosixPath

LABELS = {
    "pdf": "PDF",
    "docx": "a Word document (DOCX)",
    "xlsx": "an Excel workbook (XLSX)",
    "pptx": "a PowerPoint presentation (PPTX)",
    "ooxml": "an Office Open XML package",
    "zip": "a ZIP archive",
    "ole": "a legacy Office file (DOC/XLS/PPT)",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "elf": "an ELF executable",
    "exe": "a Windows executable",
    "gzip": "a gzip archive",
    "html": "HTML",
    "md": "Markdown",
    "csv": "CSV",
    "txt": "plain text",
    "binary": "binary data of an unknown kind",
}
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\x7fELF", "elf"),
    (b"\x1f\x8b", "gzip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OOXML_PARTS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
_EXTENSIONS = {
    ".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx", ".pptx": "pptx", ".zip": "zip",
    ".doc": "ole", ".xls": "ole", ".ppt": "ole", ".png": "png", ".jpg": "jpeg",
    ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff", ".gif": "gif", ".exe": "exe",
    ".dll": "exe", ".gz": "gzip",
    ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt",
    ".csv": "csv", ".tsv": "csv",
}  # fmt: skip
_TEXT_NAMES = ("md", "txt", "csv")
_CSV_DELIMITERS = ",;\t|"
# C0 controls other than tab, LF, VT, FF, CR; DEL; C1 controls.
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")
MAX_CONTROL_SHARE = 0.02
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
# A fragment (no doctype, no <html>): it opens with a tag and holds elements only HTML has.
_HTML_FRAGMENT = re.compile(
    r"<(?:head|body|div|p|h[1-6]|table|tr|td|ul|ol|li|span|a|br|script|style|section|article"
    r"|nav|main|header|footer|form|img|meta|title|strong|em|b|i|pre|blockquote)\b[^>]*>",
    re.IGNORECASE,
)
_MD_STRONG = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S"  # ATX heading
    r"|^ {0,3}(?:```|~~~)"  # fenced code
    r"|^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*\|"  # table delimiter row
    r"|\[[^\]\n]+\]\([^)\s]+\)",  # inline link
    re.MULTILINE,
)
_MD_LIST = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)


def describe(kind: str) -> str:
    return LABELS.get(kind, kind)


def kind_from_filename(filename: str | None) -> str | None:
    """The kind a filename claims, if its extension is one we know."""
    if not filename:
        return None
    return _EXTENSIONS.get(PurePosixPath(filename).suffix.lower())


def sniff(data: bytes, filename: str | None = None) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    return _text_kind(data, filename)


def _text_kind(data: bytes, filename: str | None) -> str:
    named = kind_from_filename(filename)
    text = decode_text(data)
    if text is None and (named in _TEXT_NAMES or named == "html"):
        text = decode_legacy_text(data)  # e.g. a cp1252 CSV export
    if text is None:
        # Readers accept a PDF header anywhere in the first KiB; text that mentions one is text.
        if b"%PDF-" in data[:1024]:
            return "pdf"
        return "exe" if data.startswith(b"MZ") else "binary"
    if _HTML_START.search(text.lstrip()[:512]) or (
        named not in _TEXT_NAMES and looks_like_html_fragment(text)
    ):
        return "html"
    # Markdown, plain text and CSV are all text: which reading the user meant is theirs to say,
    # so a .md, .txt or .csv name decides; the bytes decide only when the name says neither.
    if named in _TEXT_NAMES:
        return named
    if looks_like_markdown(text):
        return "md"
    return "csv" if looks_like_csv(text) else "txt"


def looks_like_html_fragment(text: str) -> bool:
    """Starts with a tag (or comment) and has at least two HTML elements in its first 4 KiB.
    A .md/.txt name is not asked: Markdown may begin with raw HTML and stays Markdown."""
    head = text.lstrip()[:4096]
    return head.startswith("<") and len(_HTML_FRAGMENT.findall(head)) >= 2


def decode_any_text(data: bytes) -> str | None:
    """UTF-8/UTF-16 text, else single-byte legacy text (cp1252, Latin-1)."""
    text = decode_text(data)
    return text if text is not None else decode_legacy_text(data)


def decode_legacy_text(data: bytes) -> str | None:
    """Single-byte text (Windows-1252, else Latin-1) with no NUL and few control characters."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if text and len(_CONTROL.findall(text)) > len(text) * MAX_CONTROL_SHARE:
        return None
    return text


def looks_like_csv(text: str) -> bool:
    """At least three lines that all split into the same number (>1) of fields."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) < 3:
        return False
    return any(
        len({ln.count(d) for ln in lines}) == 1 and lines[0].count(d) >= 1 for d in _CSV_DELIMITERS
    )


def decode_text(data: bytes) -> str | None:
    """The text, if the bytes are UTF-8 (BOM or not) or BOM-marked UTF-16 with no NUL and few
    control characters; otherwise None."""
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    if text and len(_CONTROL.findall(text)) > len(text) * MAX_CONTROL_SHARE:
        return None
    return text


def looks_like_markdown(text: str) -> bool:
    if _MD_STRONG.search(text):
        return True
    # One dash-led line is common in plain text; several list lines are a Markdown list.
    return len(_MD_LIST.findall(text, 0, 1 << 20)) >= 2


def _zip_kind(data: bytes) -> str:
    try:
        # Reads only the central directory: no member is decompressed.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        names = []
    if names:
        if "[Content_Types].xml" not in names:
            return "zip"
        for prefix, kind in _OOXML_PARTS:
            if any(name.startswith(prefix) for name in names):
                return kind
        return "ooxml"
    # A damaged archive: the member names still sit in the local headers.
    if b"[Content_Types].xml" not in data:
        return "zip"
    for prefix, kind in _OOXML_PARTS:
        if prefix.encode() in data:
            return kind
    return "ooxml"
