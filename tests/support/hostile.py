"""Hostile and broken files, made by the tests themselves (nothing hostile is stored in the repo),
plus small well-formed documents of each package format to build them from.

Each `HOSTILE` entry: (name, filename, bytes factory, the error_code the document must end with).
"""

import io
import os
import zipfile
from collections.abc import Callable

MIB = 1024 * 1024

# --- well-formed building blocks ------------------------------------------------------------

_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)
_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(
    paragraphs: list[str], *, doctype: str = "", extra: dict[str, bytes] | None = None
) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    )
    parts = {
        "[Content_Types].xml": _DOCX_TYPES.encode(),
        "_rels/.rels": _RELS.format(target="word/document.xml").encode(),
        "word/document.xml": document.encode(),
        **(extra or {}),
    }
    return _zip(parts)


_XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx(rows_xml: str, *, doctype: str = "", sheet_name: str = "Data") -> bytes:
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_S}" '
        f'xmlns:r="{_R}"><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<worksheet xmlns="{_S}"><sheetData>{rows_xml}</sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": _XLSX_TYPES.encode(),
            "_rels/.rels": _RELS.format(target="xl/workbook.xml").encode(),
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def xlsx_rows(rows: list[list[str]]) -> str:
    out = []
    for r, row in enumerate(rows, 1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row)
        )
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buf.getvalue()


def pdf(pages: list[str], *, encrypt: bool = False) -> bytes:
    """A real (tiny) PDF: one line of Helvetica text per page, correct xref offsets."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_id = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for text in pages:
        stream = f"BT /F1 14 Tf 72 700 Td ({text}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    trailer_extra = b""
    if encrypt:
        # The standard security handler with a user password we do not know: /O and /U are
        # random, so no reader can open the file without the password.
        objects.append(
            b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -44 /O <%s> /U <%s> >>"
            % (os.urandom(32).hex().encode(), os.urandom(32).hex().encode())
        )
        file_id = os.urandom(16).hex().encode()
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objects), file_id, file_id)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


# --- hostile ------------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
              for i in range(1, 10))
    + "]>"
)  # fmt: skip
XXE = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def zip_bomb_docx() -> bytes:
    """A docx whose media part inflates 64 MiB of zeros from about 64 KiB."""
    return docx(["hello"], extra={"word/media/image1.bin": bytes(64 * MIB)})


def billion_laughs_docx() -> bytes:
    return docx(["&lol9;"], doctype=LAUGHS)


def xxe_xlsx() -> bytes:
    return xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>', doctype=XXE)


def billion_laughs_html() -> bytes:
    return f"<!DOCTYPE html>\n{LAUGHS}<html><body><p>&lol9;</p></body></html>".encode()


def xxe_html() -> bytes:
    return f'<?xml version="1.0"?>{XXE}<html><body><p>&xxe;</p></body></html>'.encode()


def truncated_pdf() -> bytes:
    whole = pdf(["first page", "second page"])
    return whole[: len(whole) // 2]


def encrypted_pdf() -> bytes:
    return pdf(["secret"], encrypt=True)


def executable_as_pdf() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(512)


def looping_page_tree_pdf() -> bytes:
    """Two pages, the second of which is the page tree itself: a loop no reader can walk."""
    good = pdf(["first page", "second page"])
    return good.replace(b"/Kids [5 0 R 7 0 R]", b"/Kids [5 0 R 2 0 R]")


def deeply_nested_html() -> bytes:
    return ("<!DOCTYPE html><html><body>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000).encode()


def oversized(limit: int) -> Callable[[], bytes]:
    return lambda: b"%PDF-1.4\n" + b"0" * limit


def csv_huge_cell() -> bytes:
    return b'name,notes\nalpha,"' + b"x" * 10_000_000 + b'"\nbeta,short\n'


def xlsx_million_empty_rows() -> bytes:
    return xlsx("".join(f'<row r="{r}"/>' for r in range(1, 1_000_001)))


def hostile(max_bytes: int) -> list[tuple[str, str, Callable[[], bytes], str]]:
    return [
        ("zip bomb as docx", "report.docx", zip_bomb_docx, "compression_ratio_too_high"),
        ("billion laughs docx", "laughs.docx", billion_laughs_docx, "unsafe_xml"),
        ("xxe xlsx", "xxe.xlsx", xxe_xlsx, "unsafe_xml"),
        ("billion laughs html", "laughs.html", billion_laughs_html, "unsafe_xml"),
        ("xxe html", "xxe.html", xxe_html, "unsafe_xml"),
        ("truncated pdf", "cut.pdf", truncated_pdf, "corrupt_file"),
        ("encrypted pdf", "locked.pdf", encrypted_pdf, "encrypted"),
        ("empty file", "empty.pdf", lambda: b"", "empty_file"),
        ("executable renamed .pdf", "invoice.pdf", executable_as_pdf, "unsupported_format"),
        ("over the size limit", "huge.pdf", oversized(max_bytes), "file_too_large"),
        ("10-million-character cell", "export.csv", csv_huge_cell, "cell_too_large"),
        ("a million empty rows", "rows.xlsx", xlsx_million_empty_rows, "too_many_rows"),
        ("page tree that loops", "loop.pdf", looping_page_tree_pdf, "corrupt_file"),
        ("html nested 10,000 deep", "deep.html", deeply_nested_html, "html_too_deep"),
    ]
