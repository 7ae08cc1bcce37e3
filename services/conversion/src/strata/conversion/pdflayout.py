"""Model-free PDF layout: text lines (docling-parse cells, in content order) to paragraphs,
headings, list items, code and captions. Pure: lines in, blocks out.

- A new paragraph starts at a vertical gap wider than a line, a jump back up the page (next
  column), a change of font size (line box height: over 30%, or over 18% with more than
  tight leading, as a tall glyph makes one box taller) or of heading-ness, a bullet or number,
  or a page break (a paragraph that breaks mid-sentence carries on across it).
- The body size and weight are those of most characters; a weight is read from the font's name
  (Light < Regular < Medium < Semibold < Bold < Black; LaTeX's `cmbx`/`sfbx` are bold). A short
  paragraph (at most 3 lines) set larger than the body, or heavier than the body (Medium or
  more) at body size, is a heading; so is one line numbered like a section ("2.3 Results")
  and not ending a sentence. Larger sizes are higher levels. A monospace run is code;
  "Figure n"/"Table n" paragraphs (also 표/그림/図/表/图 n) are captions. A list item keeps its
  marker in its text and gets its nesting depth from its indent.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from strata.contracts.blocks import BlockDraft, BlockType
from strata.planning.tokens import estimate_tokens


@dataclass(frozen=True)
class Line:
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    font: str = ""

    @property
    def size(self) -> float:
        return round(self.bottom - self.top, 1)

    @property
    def weight(self) -> int:
        return _font_weight(self.font)

    @property
    def bold(self) -> bool:
        return self.weight >= MEDIUM

    @property
    def mono(self) -> bool:
        return is_mono(self.font)


@dataclass
class Table:
    """A table found on a page, placed among the lines by its top edge."""

    page: int
    top: float
    blocks: list[BlockDraft]


@dataclass
class _Para:
    lines: list[Line] = field(default_factory=list)
    kind: BlockType = BlockType.PARAGRAPH

    @property
    def text(self) -> str:
        if self.kind is BlockType.CODE:
            return "\n".join(ln.text.rstrip() for ln in self.lines)
        out = ""
        for ln in self.lines:
            piece = ln.text.strip()
            if out.endswith("-") and piece[:1].islower():
                out = out[:-1] + piece  # a word hyphenated at the line end
            else:
                out = f"{out} {piece}" if out else piece
        return " ".join(out.split())


REGULAR, MEDIUM = 4, 5
_WEIGHTS = [  # most specific first
    (re.compile(p, re.IGNORECASE), w)
    for p, w in [
        (r"extra-?bold|ultra-?bold|black|heavy", 8),
        (r"semi-?bold|demi", 6),
        (r"bold|cmbx|sfbx|[a-z]bx\d", 7),
        (r"medium|-medi(?:ital)?$", MEDIUM),
        (r"extra-?light|ultra-?light|thin|hairline", 2),
        (r"light", 3),
    ]
]
_MONO = re.compile(r"mono|courier|consol|menlo|inconsolata|code|cmtt|typewriter", re.IGNORECASE)
_MATH_FONT = re.compile(r"cmmi|cmsy|cmex|math|symbol", re.IGNORECASE)
_BULLET = re.compile(
    r"^\s*(?:[\u2022\u25e6\u25aa\u25cf\u2013\u2023\u2043\u00b7*-]|\(?\d{1,3}[.)]|[a-z][.)])\s+\S"
)
_WORD = re.compile(r"[^\W\d_]{2,}")


@cache
def is_mono(font: str) -> bool:
    return bool(_MONO.search(font))


@cache
def _font_weight(font: str) -> int:
    return next((w for pattern, w in _WEIGHTS if pattern.search(font)), REGULAR)


_CAPTION = re.compile(
    r"^\[?(?:figure|fig\.|table|chart|listing|표|그림|図|表|图)\s*\d+\]?[.:]?\s", re.IGNORECASE
)
_LEADER = re.compile(r"(?:\.\s?){4,}\s*\S{0,8}$")
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})+\.?\s+([^\W\d_])")
_SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")


def _starts_new(prev: Line, ln: Line, para: _Para) -> bool:  # noqa: PLR0911
    if ln.page != prev.page:
        return True
    height = max(prev.size, 1.0)
    gap = ln.top - prev.bottom
    if ln.mono and prev.mono:  # code keeps its blank lines inside one block
        return gap > height * 2.5 or ln.top < prev.top - height * 0.5
    if gap > height * 0.9 or ln.top < prev.top - height * 0.5:
        return True  # a blank line's worth of space, or a jump back up (next column)
    change = max(ln.size, prev.size) / max(min(ln.size, prev.size), 0.1) - 1
    if change > 0.3 or (change > 0.18 and gap > height * 0.35):
        # A box a little taller (a bracket, an accent) on a tightly set line is not a new size.
        return True
    if ln.bold != prev.bold and (ln.bold or len(para.lines) == 1):
        # A heavier line shorter than the next, set apart, or followed by an indented first
        # line is a title; a line that only starts with a bold or code word (a line's font is
        # its first glyph's) is a wrapped line of its paragraph.
        return (
            prev.x1 < ln.x1 - height * 2 or gap > height * 0.6 or ln.x0 > prev.x0 + height * 0.5
        )
    if ln.mono != prev.mono:
        return True
    if len(para.lines) == 1 and _SECTION_NUMBER.match(prev.text) and prev.x1 < ln.x1 - height * 3:
        return True  # "2.3 Results" on a line of its own: a title, not a wrapped line
    return bool(_BULLET.match(ln.text))


def group(lines: list[Line]) -> list[_Para]:
    paras: list[_Para] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        if paras and not _starts_new(paras[-1].lines[-1], ln, paras[-1]):
            paras[-1].lines.append(ln)
            continue
        prev = paras[-1] if paras else None
        if (
            prev is not None
            and ln.page == prev.lines[-1].page + 1
            and prev.kind is BlockType.PARAGRAPH
            and not _SENTENCE_END.search(prev.lines[-1].text.strip())
            and ln.text.strip()[:1].islower()
            and ln.size == prev.lines[-1].size
        ):
            prev.lines.append(ln)  # a sentence that carries on over the page break
            continue
        kind = BlockType.LIST_ITEM if _BULLET.match(ln.text) else BlockType.PARAGRAPH
        paras.append(_Para([ln], kind))
    return paras


def _body(paras: list[_Para]) -> tuple[float, int]:
    """The size and the weight of most characters."""
    sizes: Counter[float] = Counter()
    weights: Counter[int] = Counter()
    for p in paras:
        for ln in p.lines:
            sizes[ln.size] += len(ln.text)
            weights[ln.weight] += len(ln.text)
    if not sizes:
        return 10.0, REGULAR
    return sizes.most_common(1)[0][0], weights.most_common(1)[0][0]


def _classify(paras: list[_Para]) -> dict[int, float]:
    """Set kinds; returns the heading size of every heading paragraph (by index)."""
    body, body_weight = _body(paras)
    heading_sizes: dict[int, float] = {}
    for i, p in enumerate(paras):
        text = p.text
        first = p.lines[0]
        if all(ln.mono for ln in p.lines):
            p.kind = BlockType.CODE
        elif _is_formula(p):
            p.kind = BlockType.FORMULA
        elif _CAPTION.match(text):
            p.kind = BlockType.CAPTION
        elif _heading_like(p, paras[i + 1] if i + 1 < len(paras) else None, body, body_weight):
            p.kind = BlockType.HEADING
            heavier = all(ln.bold and ln.weight > body_weight for ln in p.lines)
            heading_sizes[i] = first.size + (0.5 if heavier else 0)
    return heading_sizes


def _heading_like(p: _Para, following: _Para | None, body: float, body_weight: int) -> bool:
    text, first = p.text, p.lines[0]
    if len(p.lines) > 3 or len(text) > 160 or text.endswith((".", ",", ";", ":")):
        return False
    if not _WORD.search(text) or _LEADER.search(text):
        return False  # "0.5", "x", "(b)": plot labels; "Intro . . . . 1": a contents entry
    bigger = first.size >= body * 1.15
    heavier = all(ln.bold and ln.weight > body_weight for ln in p.lines)
    if p.kind is BlockType.LIST_ITEM:
        # "(1) Scope" set apart and followed by body text heads a section; a list of short
        # bold items does not (what follows each is another item).
        return (
            (bigger or (heavier and first.size >= body * 0.95))
            and len(p.lines) == 1
            and following is not None
            and following.kind is BlockType.PARAGRAPH
            and not any(ln.bold for ln in following.lines)
        )
    numbered = (  # "2.3 Results", not "2.5 kg of flour"
        len(p.lines) == 1
        and (m := _SECTION_NUMBER.match(text)) is not None
        and not m.group(1).islower()
    )
    return bigger or (heavier and first.size >= body * 0.95) or numbered


def _is_formula(p: _Para) -> bool:
    text = p.text
    if len(text) > 200 or len(p.lines) > 3:
        return False
    if any(_MATH_FONT.search(ln.font) for ln in p.lines) and "=" in text:
        return True
    letters = sum(c.isalpha() for c in text)
    return "=" in text and letters <= len(text.replace(" ", "")) * 0.4


def _list_levels(paras: list[_Para]) -> dict[int, int]:
    """Nesting depth of each list item (by index) from its indent: deeper than the item above
    it is one level down, back to an earlier indent is that level again. Anything else than a
    list item (or a paragraph continuing one, indented like its text), a new page or column
    ends the list."""
    levels: dict[int, int] = {}
    indents: list[float] = []
    previous: Line | None = None
    for i, p in enumerate(paras):
        first = p.lines[0]
        x0, tolerance = first.x0, max(first.size, 1.0) * 0.5
        if p.kind is not BlockType.LIST_ITEM:
            if not indents or x0 <= indents[0] + tolerance:
                indents = []
            continue
        if previous is not None and (first.page, first.top) < (previous.page, previous.top):
            indents = []  # back up the page: the next column
        if previous is not None and first.page != previous.page:
            indents = []
        previous = p.lines[-1]
        while indents and x0 < indents[-1] - tolerance:
            indents.pop()
        if not indents or x0 > indents[-1] + tolerance:
            indents.append(x0)
        levels[i] = len(indents)
    return levels


def lines_to_blocks(pages: list[list[Line]], tables: list[Table]) -> list[BlockDraft]:
    lines = [ln for page in pages for ln in page]
    paras = group(lines)
    heading_sizes = _classify(paras)
    levels = _list_levels(paras)
    ranks = {s: r for r, s in enumerate(sorted(set(heading_sizes.values()), reverse=True), 1)}
    pending = sorted(tables, key=lambda t: (t.page, t.top))
    stack: list[tuple[int, str]] = []
    out: list[BlockDraft] = []

    def path() -> list[str]:
        return [text for _, text in stack]

    def flush_tables(until: Line | None) -> None:
        while pending and (
            until is None or (pending[0].page, pending[0].top) < (until.page, until.top)
        ):
            for block in pending.pop(0).blocks:
                out.append(block.model_copy(update={"section_path": path()}))

    for i, p in enumerate(paras):
        flush_tables(p.lines[0])
        text = p.text
        if not text:
            continue
        if p.kind is BlockType.HEADING:
            level = ranks[heading_sizes[i]]
            while stack and stack[-1][0] >= level:
                stack.pop()
        first = p.lines[0]
        on_first = [ln for ln in p.lines if ln.page == first.page]
        bbox = [
            round(min(ln.x0 for ln in on_first), 2),
            round(min(ln.top for ln in on_first), 2),
            round(max(ln.x1 for ln in on_first), 2),
            round(max(ln.bottom for ln in on_first), 2),
        ]
        out.append(
            BlockDraft(
                block_type=p.kind,
                text=text,
                section_path=path(),
                page_start=first.page,
                page_end=p.lines[-1].page,
                bbox=bbox,
                token_estimate=estimate_tokens(text),
                list_level=levels.get(i),
            )
        )
        if p.kind is BlockType.HEADING:
            stack.append((ranks[heading_sizes[i]], text))
    flush_tables(None)
    return out
