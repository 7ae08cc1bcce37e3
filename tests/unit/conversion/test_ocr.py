"""Issue 14: scans are read offline (Tesseract), upright, with line boxes and a confidence.
Few and small: OCR costs about a second a page."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from strata.conversion.converters import convert_document
from strata.conversion.errors import ImageTooLargeError, TooManyPagesError
from strata.conversion.limits import Limits

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
LINES = ["Invoice number 4711", "Total amount due 42 EUR"]


def _scan(fmt: str, *, rotate: int = 0, frames: int = 1) -> bytes:
    font = ImageFont.load_default(size=48)
    pages = []
    for _ in range(frames):
        page = Image.new("L", (1400, 500), 255)
        draw = ImageDraw.Draw(page)
        for i, line in enumerate(LINES):
            draw.text((100, 120 + i * 110), line, fill=0, font=font)
        pages.append(page.rotate(rotate, expand=True))
    buf = io.BytesIO()
    pages[0].save(buf, fmt, dpi=(300, 300), save_all=frames > 1, append_images=pages[1:])
    return buf.getvalue()


@pytest.mark.timeout(60)
def test_a_rotated_png_is_read_upright_with_line_boxes_and_confidence() -> None:
    converted = convert_document("png", _scan("PNG", rotate=90))
    assert converted.conversion_path == "tesseract"
    text = " ".join(b.text for b in converted.blocks)
    assert "Invoice number 4711" in text and "42 EUR" in text
    block = converted.blocks[0]
    assert block.page_start == 1 and block.ocr_confidence is not None
    assert block.ocr_confidence > 0.6
    assert block.line_boxes and all(len(box) == 4 for box in block.line_boxes)
    # Upright: lines are wider than tall, in points (1400 px at 300 dpi = 336 pt wide page).
    left, top, right, bottom = block.line_boxes[0]
    assert right - left > 3 * (bottom - top) and right <= 336


@pytest.mark.timeout(60)
def test_a_scanned_pdf_page_is_read_by_ocr() -> None:
    data = (CORPUS / "scanned" / "ocr_test_rotated_90.pdf").read_bytes()
    converted = convert_document("pdf", data)
    assert converted.conversion_path == "pdf-native+ocr"
    assert "Docling bundles PDF document conversion" in converted.blocks[0].text


def test_ocr_page_and_pixel_limits_are_checked_before_any_ocr() -> None:
    with pytest.raises(TooManyPagesError):
        convert_document("tiff", _scan("TIFF", frames=3), Limits(ocr_max_pages=2))
    huge = io.BytesIO()
    Image.new("1", (20_000, 10_000), 1).save(huge, "PNG")
    with pytest.raises(ImageTooLargeError):
        convert_document("png", huge.getvalue(), Limits(ocr_max_pixels=100_000_000))
