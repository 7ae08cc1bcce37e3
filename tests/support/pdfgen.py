"""Tiny layout PDFs for the model-free PDF path: text placed where a test says, in any script.

A span's characters are drawn left to right from its x, in the order given (a PDF stores
right-to-left text this way when its producer wrote the glyphs in visual order). Every
character gets a one-byte code of a simple font whose `/ToUnicode` map says what it is, so any
script extracts without a font file; glyphs are Helvetica's (what a viewer shows does not
matter to a text extractor). Widths are fixed per code (`WIDTH` of the font size), so where
each character sits is known. Bold spans use Helvetica-Bold and say so in the font name.
"""

from dataclasses import dataclass

WIDTH = 0.5  # of the font size, every character


@dataclass(frozen=True)
class Span:
    x: float
    top: float  # from the top of the page, points
    text: str
    size: float = 10.0
    bold: bool = False
    mono: bool = False


def _font(base: str, chars: list[str]) -> list[bytes]:
    """A simple font over codes 1..n (n <= 255) and its ToUnicode CMap: two objects."""
    mapping = "".join(f"<{i + 1:02X}> <{ord(c):04X}>\n" for i, c in enumerate(chars))
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Strata-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n{mapping}endbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    width = int(WIDTH * 1000)
    font = (
        f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} /FirstChar 1 "
        f"/LastChar {len(chars)} /Widths [{' '.join([str(width)] * len(chars))}] "
        f"/ToUnicode {{cmap}} 0 R >>"
    ).encode()
    return [font, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap)]


def layout_pdf(pages: list[list[Span]], *, width: float = 612, height: float = 792) -> bytes:
    chars = sorted({c for page in pages for span in page for c in span.text})
    if len(chars) > 255:
        raise ValueError("at most 255 distinct characters")
    code = {c: i + 1 for i, c in enumerate(chars)}
    bases = {"F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "Courier"}
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    fonts: dict[str, int] = {}
    for name, base in bases.items():
        font, cmap = _font(base, chars)
        fonts[name] = len(objects) + 1
        objects.append(font.replace(b"{cmap}", str(len(objects) + 2).encode()))
        objects.append(cmap)
    kids = []
    for page in pages:
        ops = []
        for span in page:
            name = "F3" if span.mono else "F2" if span.bold else "F1"
            hexed = "".join(f"{code[c]:02X}" for c in span.text)
            baseline = height - span.top - span.size * 0.8
            ops.append(f"BT /{name} {span.size} Tf {span.x} {baseline} Td <{hexed}> Tj ET")
        stream = "\n".join(ops).encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        resources = " ".join(f"/{n} {i} 0 R" for n, i in fonts.items())
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Contents {len(objects)} 0 R /Resources << /Font << {resources} >> >> >>".encode()
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def glyph_by_glyph(x: float, top: float, visual: str, *, size: float = 10.0) -> list[Span]:
    """One span per glyph of a line whose glyphs, as drawn left to right, read `visual`; the
    spans come in the reverse order (right to left: a right-to-left line written in logical
    order by a producer that places every glyph itself). Spaces are gaps, not glyphs."""
    step = size * WIDTH
    spans = [Span(x + i * step, top, c, size) for i, c in enumerate(visual) if c != " "]
    return spans[::-1]
