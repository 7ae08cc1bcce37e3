"""Right-to-left text in PDFs, in logical order. Pure.

A PDF holds glyphs where they are drawn, not text in reading order: Hebrew and Arabic lines
come out of a text extractor either in logical order or in visual order (left to right as
drawn: every word reversed), depending on how the producer wrote them and on the extractor.
The order is told from the letters themselves, not trusted:

- Hebrew final forms (kaf, mem, nun, pe, tsadi), Arabic teh marbuta and alef maksura (ة ى)
  end words, the Arabic article (ال) starts them, and Arabic presentation forms name their
  position (initial, final). Met at the other end of a word, the line is in visual order.
- A line without such evidence follows the document's majority (a producer is consistent).
- A visual line is turned logical by the Unicode bidi reordering (rule L2) over levels resolved
  from the characters' bidi classes (a simplified UAX #9: strong letters, numbers with their
  separators, neutrals between like directions); numbers and Latin words inside keep their own
  left-to-right order, and mirrored brackets are swapped back.
- Lam-alef is one glyph whose text is two letters in logical order ("لا"), so in a visual line
  the pair is already logical: it is swapped before the reordering, which swaps it back. A
  pair ending a visual word of more letters, alone or after one prefix letter (و ب ف ك), is
  instead the article (ال) drawn as two glyphs, and is reversed with the rest.
- Arabic presentation forms are folded to their base letters (NFKC), so text searches match.
"""

import re
import unicodedata
from dataclasses import replace

from strata.conversion.pdflayout import Line

MAX_GLYPH_GAP = 0.6  # of the line height: a word space joins, a column gap does not
# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic; their presentation forms; the
# right-to-left scripts of the supplementary planes.
_RTL_BLOCKS = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_RTL = frozenset({"R", "AL"})
_NUMBER = frozenset({"EN", "AN"})
_NUMBER_JOINERS = frozenset({"ES", "CS", "ET"})
_HEBREW_FINALS = frozenset("ךםןףץ")
_ARABIC_ENDINGS = frozenset("ةى")
_LAM_ALEF = re.compile(r"(?<!\S)ل([اأإآ])(?=\s|$)|ل([اأإآ])(?![وبفك]?(?:\s|$))")
_MIRROR = dict(zip("()[]{}<>«»", ")(][}{><»«", strict=True))


def has_rtl(text: str) -> bool:
    return not text.isascii() and bool(_RTL_BLOCKS.search(text))


def order_evidence(text: str) -> int:
    """Positive when the line reads as visual order, negative when logical, 0 when unknown."""
    score = 0
    for raw in text.split():
        word = "".join(c for c in raw if unicodedata.bidirectional(c) in _RTL)
        if len(word) < 2 or not has_rtl(raw):
            continue
        first, last = word[0], word[-1]
        finals = _HEBREW_FINALS | _ARABIC_ENDINGS
        score += (first in finals) - (last in finals)
        if len(word) > 3:
            score += word.endswith("لا") - word.startswith("ال")
        score += _form(first, "FINAL") - _form(first, "INITIAL")
        score += _form(last, "INITIAL") - _form(last, "FINAL")
    return score


def _form(char: str, position: str) -> int:
    return int(f"{position} FORM" in unicodedata.name(char, ""))


def to_logical(text: str, *, visual: bool) -> str:
    """The line in logical order, presentation forms folded."""
    if visual:
        text = reorder(_LAM_ALEF.sub(lambda m: (m[1] or m[2]) + "ل", text))
    return "".join(
        unicodedata.normalize("NFKC", c) if 0xFB50 <= ord(c) <= 0xFEFF else c for c in text
    )


def reorder(text: str) -> str:
    """Bidi reordering (L2) of one line; applied to visual order it gives logical order."""
    classes = [unicodedata.bidirectional(c) for c in text]
    rtl_letters = sum(k in _RTL for k in classes)
    base = 1 if rtl_letters >= sum(k == "L" for k in classes) else 0
    levels = _levels(classes, base)
    if not any(levels):
        return text
    order = list(range(len(text)))
    for level in range(max(levels), 0, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            i = j
    return "".join(_MIRROR.get(text[k], text[k]) if levels[k] % 2 else text[k] for k in order)


def _levels(classes: list[str], base: int) -> list[int]:
    kinds = _resolve_weak(classes)
    # Each strong character's direction; a number is L after a Latin letter (rule W7), else
    # R for the neutrals around it (rule N1). Neutrals between like directions take it.
    direction: list[str | None] = []
    letter = "R" if base else "L"
    for kind in kinds:
        if kind == "L" or kind in _RTL:
            letter = "L" if kind == "L" else "R"
            direction.append(letter)
        else:
            direction.append(letter if kind in _NUMBER else None)
    edge = "R" if base else "L"
    levels = []
    previous = edge
    for i, kind in enumerate(kinds):
        side = direction[i]
        if side is None:
            following = next((d for d in direction[i + 1 :] if d), edge)
            side = previous if previous == following else edge
        else:
            previous = side
        if kind in _NUMBER and side == "R":
            levels.append(2)
        else:
            levels.append(1 if side == "R" else base + base)
    return levels


def _resolve_weak(classes: list[str]) -> list[str]:
    kinds = list(classes)
    for i, kind in enumerate(kinds):  # a combining mark takes its base's class
        if kind == "NSM" and i:
            kinds[i] = kinds[i - 1]
    for i, kind in enumerate(kinds):  # "1,000", "3.5", "$5", "20%" are one number
        if kind in _NUMBER_JOINERS:
            before = kinds[i - 1] if i else ""
            after = kinds[i + 1] if i + 1 < len(kinds) else ""
            if (before in _NUMBER and after in _NUMBER) or (
                kind == "ET" and (before in _NUMBER or after in _NUMBER)
            ):
                kinds[i] = "EN"
    return kinds


def join_glyph_runs(lines: list[Line]) -> list[Line]:
    """Pieces of one line that the extractor left apart (a producer that places right-to-left
    glyphs one by one, moving left) joined in drawing order, left to right: visual order,
    which `logical_lines` then turns. Only right-to-left pieces and single glyphs are joined:
    Latin pieces apart on a line are columns, which must stay apart."""
    loose = [ln for ln in lines if has_rtl(ln.text) or len(ln.text.strip()) <= 1]
    if len(loose) < 2:
        return lines
    loose.sort(key=lambda ln: (ln.page, round(ln.bottom), ln.x0))
    joined: dict[int, Line] = {}  # id of a run's first piece -> the run
    dropped: set[int] = set()
    run = loose[0]
    first = id(loose[0])
    for ln in loose[1:]:
        height = max(run.size, ln.size, 1.0)
        same_line = ln.page == run.page and abs(ln.bottom - run.bottom) < height * 0.3
        gap = ln.x0 - run.x1
        if same_line and -height * 0.2 <= gap <= height * MAX_GLYPH_GAP:
            space = " " if gap > height * 0.15 else ""
            run = replace(run, x1=max(run.x1, ln.x1), top=min(run.top, ln.top),
                          text=run.text + space + ln.text)  # fmt: skip
            dropped.add(id(ln))
            joined[first] = run
        else:
            run, first = ln, id(ln)
    return [joined.get(id(ln), ln) for ln in lines if id(ln) not in dropped]


def logical_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Right-to-left lines in logical order: each line by its own evidence, a line without any
    by the document's."""
    evidence = {id(ln): order_evidence(ln.text) for page in pages for ln in page
                if has_rtl(ln.text)}  # fmt: skip
    if not evidence:
        return pages
    document_visual = sum(evidence.values()) > 0

    def turned(ln: Line) -> Line:
        score = evidence.get(id(ln))
        if score is None:
            return ln
        visual = score > 0 or (score == 0 and document_visual)
        return replace(ln, text=to_logical(ln.text, visual=visual))

    return [[turned(ln) for ln in page] for page in pages]
