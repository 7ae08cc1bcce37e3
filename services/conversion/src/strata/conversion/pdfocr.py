"""Scanned PDF pages: a page whose text layer holds (almost) no readable text is rendered with
pdfium and read by OCR. A text layer of only a stamp, a page number, or glyphs without a
Unicode mapping (U+FFFD, private use) does not count as readable."""

import pypdfium2 as pdfium

from strata.contracts.blocks import BlockDraft
from strata.conversion.errors import TooManyPagesError
from strata.conversion.limits import Limits
from strata.conversion.ocr import ocr_page

MIN_TEXT_CHARS = 20


def readable_chars(text: str) -> int:
    return sum(1 for c in text if c.isalnum() and c != "\ufffd" and not 0xE000 <= ord(c) <= 0xF8FF)


def needs_ocr(page: object) -> bool:
    parsed = getattr(page, "parsed_page", None)
    if parsed is None:
        return True
    return readable_chars("".join(c.text for c in parsed.textline_cells)) < MIN_TEXT_CHARS


def ocr_pages(data: bytes, page_numbers: list[int], *, limits: Limits) -> list[BlockDraft]:
    if len(page_numbers) > limits.ocr_max_pages:
        raise TooManyPagesError(
            f"{len(page_numbers):,} pages of the PDF have no text layer and need OCR; "
            f"this deployment reads up to {limits.ocr_max_pages:,} pages by OCR"
        )
    blocks: list[BlockDraft] = []
    pdf = pdfium.PdfDocument(data)
    try:
        for number in page_numbers:
            page = pdf[number - 1]
            image = page.render(scale=limits.ocr_dpi / 72, grayscale=True).to_pil()
            blocks.extend(ocr_page(image, page=number, dpi=limits.ocr_dpi))
            page.close()
    finally:
        pdf.close()
    return blocks
