"""Faithfulness benchmark: every corpus file through the conversion code path (ingest's sniff
from the bytes, then `convert_document`, in this process), compared with the reference
Markdown in `<corpus>/groundtruth/<fmt>/<file>.md`.

- text recall / precision: normalised words (NFKC, lower case, runs of letters or digits;
  Markdown syntax, link targets and HTML comments removed from the reference) as multisets,
  summed over the files of the non-scanned formats (so a page of text weighs what it holds);
- heading recall: reference headings (`#` lines) found among our heading blocks' texts (or
  first section_path entries: a sheet name);
- table cell recall: reference table cells (non-empty) found among our table blocks' cells;
- tiny_blocks: share of our blocks whose text is three characters or fewer;
- scanned_recall: text recall over the `scanned/` folder (OCR).

Usage: python bench/quality.py [corpus folder, default ../shared/corpus]. Prints a table per
format, then as its last line:
files=<n> text_recall=<x> text_precision=<x> heading_recall=<x> table_cell_recall=<x>
tiny_blocks=<fraction> scanned_recall=<x>   (on one line)
"""

import os
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from strata.contracts.blocks import BlockDraft, BlockType
from strata.conversion.converters import convert_document
from strata.conversion.errors import ConversionError
from strata.ingest.sniff import sniff

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = ("md", "txt", "csv", "html", "pdf", "docx", "pptx", "xlsx", "scanned")
_WORD = re.compile(r"[^\W_]+")
_MD_NOISE = [
    (re.compile(r"<!--.*?-->", re.DOTALL), " "),
    (re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"), "]"),  # link and image targets
    (re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$", re.MULTILINE), " "),
    (re.compile(r"<[^>\n]+>"), " "),  # inline HTML tags
]


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def reference_text(markdown: str) -> str:
    for pattern, repl in _MD_NOISE:
        markdown = pattern.sub(repl, markdown)
    return markdown


def reference_headings(markdown: str) -> list[str]:
    found = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    return [n for h in found if (n := " ".join(words(reference_text(h)).elements()))]


def reference_cells(markdown: str) -> Counter[str]:
    cells: Counter[str] = Counter()
    for line in reference_text(markdown).splitlines():
        if line.strip().startswith("|"):
            for cell in line.strip().strip("|").split("|"):
                if key := _key(cell):
                    cells[key] += 1
    return cells


def _key(text: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


@dataclass
class Score:
    files: int = 0
    ref_words: int = 0
    our_words: int = 0
    common_words: int = 0
    headings: int = 0
    headings_found: int = 0
    cells: int = 0
    cells_found: int = 0
    blocks: int = 0
    tiny: int = 0
    failed: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name in self.__dataclass_fields__:
            if name != "failed":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed += other.failed


def score_file(blocks: list[BlockDraft], reference: str) -> Score:
    ours = Counter[str]()
    our_cells: Counter[str] = Counter()
    our_headings = []
    for block in blocks:
        if block.table is not None:
            for row in block.table.rows:
                ours.update(words(" ".join(row)))
                our_cells.update(k for c in row if (k := _key(c)))
        else:
            ours.update(words(block.text))
        if block.block_type is BlockType.HEADING:
            our_headings.append(_key(block.text))
        # A sheet's name heads its blocks' section_path rather than being a block of its own.
        our_headings.extend(_key(part) for part in block.section_path[:1])
    ref = words(reference_text(reference))
    ref_headings = reference_headings(reference)
    ref_cells = reference_cells(reference)
    return Score(
        files=1,
        ref_words=sum(ref.values()),
        our_words=sum(ours.values()),
        common_words=sum((ref & ours).values()),
        headings=len(ref_headings),
        headings_found=sum(1 for h in ref_headings if any(h == o or h in o for o in our_headings)),
        cells=sum(ref_cells.values()),
        cells_found=sum((ref_cells & our_cells).values()),
        blocks=len(blocks),
        tiny=sum(1 for b in blocks if len(b.text.strip()) <= 3),
    )


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def reference_for(corpus: Path, path: Path) -> Path:
    own = corpus / "groundtruth" / path.parent.name / f"{path.name}.md"
    if own.exists():
        return own
    # txt/wiki.txt is md/wiki.md saved as text: any same-stem reference will do.
    return next((corpus / "groundtruth").glob(f"*/{path.stem}.*.md"), own)


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    per_format: dict[str, Score] = {}
    for folder in FOLDERS:
        for path in sorted((corpus / folder).glob("*")):
            reference = reference_for(corpus, path)
            if not path.is_file() or not reference.exists():
                continue
            data = path.read_bytes()
            score = per_format.setdefault(folder, Score())
            try:
                blocks = convert_document(sniff(data, path.name), data).blocks
            except ConversionError as exc:
                blocks = []
                score.failed.append(f"{path.name}: {exc.code}")
            score.add(score_file(blocks, reference.read_text(encoding="utf-8")))
    print(f"{'format':8} {'files':>5} {'recall':>7} {'precis':>7} {'heads':>7} {'cells':>7} "
          f"{'blocks':>6} {'tiny':>6}")  # fmt: skip
    total, text = Score(), Score()
    for folder, s in per_format.items():
        total.add(s)
        if folder != "scanned":
            text.add(s)
        print(
            f"{folder:8} {s.files:5d} {ratio(s.common_words, s.ref_words):7.3f} "
            f"{ratio(s.common_words, s.our_words):7.3f} {ratio(s.headings_found, s.headings):7.3f} "
            f"{ratio(s.cells_found, s.cells):7.3f} {s.blocks:6d} {ratio(s.tiny, s.blocks):6.3f}"
            + (f"  FAILED {', '.join(s.failed)}" if s.failed else "")
        )
    scanned = per_format.get("scanned", Score())
    print(
        f"files={total.files} text_recall={ratio(text.common_words, text.ref_words):.3f} "
        f"text_precision={ratio(text.common_words, text.our_words):.3f} "
        f"heading_recall={ratio(text.headings_found, text.headings):.3f} "
        f"table_cell_recall={ratio(text.cells_found, text.cells):.3f} "
        f"tiny_blocks={ratio(total.tiny, total.blocks):.3f} "
        f"scanned_recall={ratio(scanned.common_words, scanned.ref_words):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
