"""PDF preflight, before docling sees the file: the end-of-file marker, encryption, the page
count, every page loadable, and which pages have enough straight lines to hold a ruled table."""

from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from strata.conversion.errors import CorruptFileError, EncryptedFileError, TooManyPagesError
from strata.conversion.limits import Limits

# A page whose images cover this share of it, and that has no readable text layer, is a scan.
IMAGE_SHARE = 0.3


@dataclass(frozen=True)
class Preflight:
    grid_pages: set[int]  # 1-based pages with enough straight lines to hold a ruled table
    image_pages: set[int]  # pages mostly covered by images: scans, if they have no text layer


def preflight(data: bytes, *, limits: Limits) -> Preflight:
    """What the pages hold; raises on a file we refuse."""
    # Anywhere, not only in the last KiB: bytes appended after the marker (NUL padding, a
    # zip glued on) are ignored by every reader, pdfium included.
    if b"%%EOF" not in data:
        raise CorruptFileError("the PDF is truncated or damaged: it has no end-of-file marker")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFileError() from None
        raise CorruptFileError(f"the PDF could not be opened ({exc})") from None
    try:
        pages = len(pdf)
        if pages == 0:
            raise CorruptFileError("the PDF has no pages")
        if pages > limits.max_pages:
            raise TooManyPagesError(
                f"the PDF has {pages:,} pages; this deployment converts up to {limits.max_pages:,}"
            )
        grid_pages, image_pages = set(), set()
        for n in range(pages):
            page = _load_page(pdf, n)
            if limits.pdf_tables and _may_hold_grid(page):
                grid_pages.add(n + 1)
            if _mostly_image(page):
                image_pages.add(n + 1)
        return Preflight(grid_pages=grid_pages, image_pages=image_pages)
    finally:
        pdf.close()


def _may_hold_grid(page: pdfium.PdfPage) -> bool:
    horizontal = vertical = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        width, height = right - left, top - bottom
        if height < 3 and width > 8:
            horizontal += 1
        elif width < 3 and height > 8:
            vertical += 1
        elif width > 8 and height > 8:
            horizontal, vertical = horizontal + 2, vertical + 2
        if horizontal >= 3 and vertical >= 3:
            return True
    return False


def _mostly_image(page: pdfium.PdfPage) -> bool:
    width, height = page.get_size()
    covered = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(
            0.0, min(top, height) - max(bottom, 0.0)
        )
        if covered >= width * height * IMAGE_SHARE:
            return True
    return False


def _load_page(pdf: pdfium.PdfDocument, index: int) -> pdfium.PdfPage:
    # A page tree that loops (a /Pages node among its own kids) leaves pages pdfium counts but
    # cannot load; docling would fail on them later with a generic error.
    try:
        return pdf[index]
    except pdfium.PdfiumError as exc:
        raise CorruptFileError(
            f"page {index + 1} of the PDF cannot be loaded ({exc}); its page tree is damaged"
        ) from None
