"""Model-free PDF reading order and clean-up of one page's text lines. Pure.

- Two columns: when most lines of a page sit wholly in its left or right half, each stretch
  between full-width lines (a title, a figure spanning both columns) reads left column top to
  bottom, then right column (right column first when most lines are right-to-left); the
  content stream's own order (often title last, or lines
  interleaved across columns) is not trusted on such pages.
- Furniture: lines on the top or bottom margin that repeat on other pages (digits ignored), or
  that are only a page number (not set beside other text on its line: a section number), are
  page headers/footers and are dropped.
- Junk: lines made of glyphs without a Unicode mapping (U+FFFD, private use) or control
  characters are dropped; control characters are removed from the lines kept.
"""

import re
from collections import Counter
from dataclasses import replace

from strata.conversion.pdfbidi import has_rtl
from strata.conversion.pdflayout import Line

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# "12", "Page 3 of 9", "- 4 -", and roman front-matter numbers ("xii").
_PAGE_NUMBER = re.compile(
    r"^\W*(?:page\s*)?(?:\d{1,4}|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))"
    r"(?:\s*(?:of|/)\s*\d{1,4})?\W*$",
    re.IGNORECASE,
)
MARGIN = 0.08
PAGE_NUMBER_MARGIN = 0.2
MIN_COLUMN_SHARE = 0.3  # each column holds at least this share of the page's lines
MAX_SPANNING_SHARE = 0.25


def _junk(text: str) -> bool:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return True
    bad = sum(
        1 for c in visible if c == "\ufffd" or _CONTROL.match(c) or 0xE000 <= ord(c) <= 0xF8FF
    )
    return bad * 3 >= len(visible)


def clean(lines: list[Line]) -> list[Line]:
    out = []
    for ln in lines:
        if _junk(ln.text):
            continue
        text = _CONTROL.sub("", ln.text)
        out.append(ln if text == ln.text else replace(ln, text=text))
    return out


def reading_order(lines: list[Line]) -> list[Line]:
    """One page's lines, in two-column order when the page is set in two columns."""
    if len(lines) < 10:
        return lines
    left_edge = min(ln.x0 for ln in lines)
    right_edge = max(ln.x1 for ln in lines)
    mid = (left_edge + right_edge) / 2
    slack = (right_edge - left_edge) * 0.02
    left = [ln for ln in lines if ln.x1 <= mid + slack]
    right = [ln for ln in lines if ln.x0 >= mid - slack]
    spanning = [ln for ln in lines if ln not in left and ln not in right]
    n = len(lines)
    if (
        len(left) < n * MIN_COLUMN_SHARE
        or len(right) < n * MIN_COLUMN_SHARE
        or len(spanning) > n * MAX_SPANNING_SHARE
    ):
        return lines
    ordered: list[Line] = []
    cuts = sorted(spanning, key=lambda ln: ln.top)
    # A right-to-left page reads its right column first.
    columns = (right, left) if sum(has_rtl(ln.text) for ln in lines) * 2 > n else (left, right)
    upper = float("-inf")
    for cut in [*cuts, None]:
        lower = cut.top if cut is not None else float("inf")
        for column in columns:
            ordered.extend(sorted((ln for ln in column if upper <= ln.top < lower),
                                  key=lambda ln: ln.top))  # fmt: skip
        if cut is not None:
            ordered.append(cut)
            upper = cut.top
    return ordered


def drop_furniture(pages: list[list[Line]], heights: dict[int, float]) -> list[list[Line]]:
    """Remove running headers/footers and page numbers."""

    def key(ln: Line) -> str:
        return re.sub(r"\d+", "#", " ".join(ln.text.lower().split()))

    def in_margin(ln: Line, share: float = MARGIN) -> bool:
        h = heights.get(ln.page) or 792.0
        return ln.top < h * share or ln.bottom > h * (1 - share)

    def is_page_number(ln: Line, page: list[Line]) -> bool:
        return (
            bool(_PAGE_NUMBER.match(ln.text))
            and in_margin(ln, PAGE_NUMBER_MARGIN)
            and not any(_beside(ln, other) for other in page if other is not ln)
        )

    seen = Counter(k for page in pages for k in {key(ln) for ln in page if in_margin(ln)})
    repeated = {k for k, n in seen.items() if n >= 2} if len(pages) >= 2 else set()
    return [
        [
            ln
            for ln in page
            if not (is_page_number(ln, page) or (in_margin(ln) and key(ln) in repeated))
        ]
        for page in pages
    ]


def _beside(number: Line, other: Line) -> bool:
    """`other` sits on the number's line, close by: the number belongs to it ("4  Outlook",
    a section number set apart from its title), it is not a page's number."""
    height = max(number.size, 1.0)
    overlap = min(number.bottom, other.bottom) - max(number.top, other.top)
    gap = max(other.x0 - number.x1, number.x0 - other.x1)
    return overlap > height * 0.5 and gap < height * 2
