"""Unruled tables in a PDF, model-free, from how the words sit on the page. Pure: words in,
tables out.

- Words on one baseline are a line; a line splits into chunks at gaps wider than a character
  height times `CHUNK_GAP` (a word space is about a quarter of the height, a gutter more).
- A table is a run of at least `MIN_TABLE_LINES` consecutive lines of two or more short chunks,
  close together, among which at least `MIN_NUMERIC_LINES` are mostly numbers. Lines of prose
  (one long chunk, or long chunks: the two columns of a page) end the run.
- Its columns are the x-ranges the numeric lines' chunks cover (overlapping ranges merged);
  every word of the run goes to the column its centre falls in (or the nearest), so a header
  word set over several columns lands in one, not across.
- Its rows are bands of lines that overlap vertically: a cell of two lines ("OTSL" over "HTML")
  set beside a cell of one, centred, is one row.
"""

import re
from dataclasses import dataclass, field

from strata.contracts.blocks import BlockDraft
from strata.conversion.pdfbidi import has_rtl
from strata.conversion.pdflayout import Table
from strata.conversion.tables import table_blocks

Box = tuple[float, float, float, float]
Word = tuple[Box, str]
CHUNK_GAP = 0.6  # of the line height
MAX_LINE_GAP = 2.0  # of the line height, between lines of one table
MAX_CHUNK_CHARS = 30  # mean chunk length: longer is prose
MIN_TABLE_LINES = 3
MIN_NUMERIC_LINES = 3
MIN_ROW_OVERLAP = 0.05  # of the line height
_NUMBER = re.compile(  # "12", "-3.5", "(1,200)", "$40", "20%", "2x", "0.91*"; a dash for none
    r"^[(\[]?[-+\u2212\u2013~<>\u00b1]?[$\u20ac\u00a3\u00a5]?\d[\d,.\s]*[%x\u00d7]?[)\]*\u2020]?$"
    r"|^[-\u2013\u2014]$"
)


@dataclass
class _Line:
    words: list[Word]
    top: float = 0.0
    bottom: float = 0.0
    chunks: list[list[Word]] = field(default_factory=list)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    def numeric(self) -> bool:
        texts = [" ".join(t for _, t in chunk) for chunk in self.chunks]
        return len(texts) >= 2 and sum(bool(_NUMBER.match(t)) for t in texts) * 2 >= len(texts)

    def tabular(self) -> bool:
        chars = sum(len(t) for _, t in self.words) + len(self.words)
        return len(self.chunks) >= 2 and chars / len(self.chunks) <= MAX_CHUNK_CHARS


def _lines(words: list[Word]) -> list[_Line]:
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (w[0][3], w[0][0])):
        box = word[0]
        if lines and abs(lines[-1].bottom - box[3]) < lines[-1].height * 0.3:
            lines[-1].words.append(word)
            lines[-1].top = min(lines[-1].top, box[1])
            continue
        lines.append(_Line([word], box[1], box[3]))
    for line in lines:
        line.words.sort(key=lambda w: w[0][0])
        chunks = [[line.words[0]]]
        for word in line.words[1:]:
            if word[0][0] - chunks[-1][-1][0][2] > line.height * CHUNK_GAP:
                chunks.append([word])
            else:
                chunks[-1].append(word)
        line.chunks = chunks
    return sorted(lines, key=lambda ln: ln.top)


def _runs(lines: list[_Line]) -> list[list[_Line]]:
    """Maximal runs of table-like lines; short single chunks inside a run are kept."""
    runs: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        close = bool(current) and line.top - max(ln.bottom for ln in current) <= (
            line.height * MAX_LINE_GAP
        )
        fits = line.tabular() or (
            len(line.chunks) == 1 and len(" ".join(t for _, t in line.words)) <= MAX_CHUNK_CHARS
        )
        if fits and (close or (not current and line.tabular())):
            current.append(line)
            continue
        runs.append(current)
        current = [line] if line.tabular() else []
    runs.append(current)
    out = []
    for found in runs:
        run = list(found)
        while run and not run[-1].tabular() and len(_rows(run)[-1]) == 1:
            run.pop()  # a short line after the table, not a second line of its last row
        if sum(ln.tabular() for ln in run) >= MIN_TABLE_LINES and (
            sum(ln.numeric() for ln in run) >= MIN_NUMERIC_LINES
        ):
            out.append(run)
    return out


def _columns(run: list[_Line]) -> list[tuple[float, float]]:
    spans = sorted(
        (min(w[0][0] for w in chunk), max(w[0][2] for w in chunk))
        for ln in run
        if ln.numeric()
        for chunk in ln.chunks
    )
    merged: list[tuple[float, float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], x1))
        else:
            merged.append((x0, x1))
    return merged


def _rows(run: list[_Line]) -> list[list[_Line]]:
    bands: list[list[_Line]] = []
    for line in run:  # sorted by top
        if bands and line.top < max(ln.bottom for ln in bands[-1]) - line.height * MIN_ROW_OVERLAP:
            bands[-1].append(line)
        else:
            bands.append([line])
    return bands


def _column_of(word: Word, columns: list[tuple[float, float]]) -> int:
    centre = (word[0][0] + word[0][2]) / 2
    return min(
        range(len(columns)),
        key=lambda i: 0.0 if columns[i][0] <= centre <= columns[i][1]
        else min(abs(centre - columns[i][0]), abs(centre - columns[i][1])),
    )  # fmt: skip


def grid(run: list[_Line]) -> list[list[str]]:
    columns = _columns(run)
    out = []
    for band in _rows(run):
        cells: list[list[Word]] = [[] for _ in columns]
        for line in band:
            for word in line.words:
                cells[_column_of(word, columns)].append(word)
        out.append([cell_text(c) for c in cells])
    return out


def cell_text(words: list[Word]) -> str:
    """A cell's words in reading order: line by line, left to right, or right to left when
    most of its words are right-to-left."""
    rtl = sum(has_rtl(t) for _, t in words) * 2 > len(words)
    ordered = [w for line in _lines(words) for w in (line.words[::-1] if rtl else line.words)]
    return " ".join(t for _, t in ordered)


def unruled_tables(
    words: list[Word], *, page_no: int, rows_per_block: int
) -> list[tuple[Table, Box]]:
    """Tables set without rules (or with a few rules only) on one page."""
    free = [w for w in words if w[1].strip()]
    found = []
    for run in _runs(_lines(free)):
        rows = grid(run)
        if len(rows) < 2 or len(rows[0]) < 2:
            continue
        boxes = [w[0] for ln in run for w in ln.words]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
               max(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip
        header = not all(ln.numeric() for ln in _rows(run)[0])
        blocks: list[BlockDraft] = table_blocks(
            rows, has_header=header, section_path=[], rows_per_block=rows_per_block,
            page=page_no, bbox=[round(v, 2) for v in box],
        )  # fmt: skip
        if blocks:
            found.append((Table(page_no, box[1], blocks), box))
    return found

