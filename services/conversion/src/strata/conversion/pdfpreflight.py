"""PDF preflight, before docling sees the file: the end-of-file marker, encryption, the page
count, every page loadable, and which pages have enough straight lines to hold a ruled table."""

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from strata.conversion.errors import CorruptFileError, EncryptedFileError, TooManyPagesError
from strata.conversion.limits import Limits


def preflight(data: bytes, *, limits: Limits) -> list[int]:
    """The 1-based numbers of pages that may hold a ruled table; raises on a file we refuse."""
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
        grid_pages = []
        for n in range(pages):
            page = _load_page(pdf, n)
            if limits.pdf_tables and _may_hold_grid(page):
                grid_pages.append(n + 1)
        return grid_pages
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


def _load_page(pdf: pdfium.PdfDocument, index: int) -> pdfium.PdfPage:
    # A page tree that loops (a /Pages node among its own kids) leaves pages pdfium counts but
    # cannot load; docling would fail on them later with a generic error.
    try:
        return pdf[index]
    except pdfium.PdfiumError as exc:
        raise CorruptFileError(
            f"page {index + 1} of the PDF cannot be loaded ({exc}); its page tree is damaged"
        ) from None
