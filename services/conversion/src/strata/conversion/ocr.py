"""Offline OCR with Tesseract (Debian's `tesseract-ocr` with its packaged `eng` and `osd`
data; nothing is downloaded). One page image in, paragraph blocks out, each with the box of
every text line it was read from and its mean word confidence.

The page's orientation is detected first (Tesseract's OSD) and the image turned upright, so
boxes are in the upright page, in points at the given resolution. Tesseract runs as a
subprocess of the conversion worker, single-threaded (OMP_THREAD_LIMIT=1: the pool already
runs one document per core), with its own timeout; the worker's timeout and memory limit
bound the document as a whole.
"""

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from PIL import Image

from strata.contracts.blocks import BlockDraft, BlockType
from strata.conversion.errors import OcrUnavailableError
from strata.planning.tokens import estimate_tokens

LANGUAGE = "eng"
PAGE_TIMEOUT_S = 90
MIN_OSD_CONFIDENCE = 1.0  # Tesseract's own scale; below it the guess is noise
MIN_WORD_CONFIDENCE = 0.0  # -1 marks a layout row, not a word


@dataclass
class _Para:
    words: list[tuple[str, float]] = field(default_factory=list)
    lines: dict[int, list[int]] = field(default_factory=dict)  # line -> [l, t, r, b] in px


def _run(image: Image.Image, args: list[str]) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailableError()
    buf = io.BytesIO()
    image.save(buf, "PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(  # noqa: S603 - fixed executable, our own arguments, no shell
        [exe, "-", "stdout", *args],
        input=buf.getvalue(),
        capture_output=True,
        timeout=PAGE_TIMEOUT_S,
        env=env,
        check=False,
    )
    return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else ""


def upright(image: Image.Image) -> Image.Image:
    """The image turned the way Tesseract's orientation detection says it reads."""
    rotate, confidence = 0, 0.0
    for line in _run(image, ["--psm", "0", "-l", "osd"]).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Rotate":
            rotate = int(value.strip() or 0)
        elif key.strip() == "Orientation confidence":
            confidence = float(value.strip() or 0)
    if rotate and confidence >= MIN_OSD_CONFIDENCE:
        # Tesseract says how far to turn clockwise; PIL turns counter-clockwise.
        return image.rotate(-rotate, expand=True)
    return image


def ocr_page(image: Image.Image, *, page: int, dpi: float) -> list[BlockDraft]:
    image = upright(image.convert("L"))
    tsv = _run(image, ["-l", LANGUAGE, "--psm", "3", "--dpi", str(round(dpi)), "tsv"])
    paras: dict[tuple[int, int], _Para] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text or float(row["conf"]) < MIN_WORD_CONFIDENCE:
            continue
        para = paras.setdefault((int(row["block_num"]), int(row["par_num"])), _Para())
        para.words.append((text, float(row["conf"]) / 100))
        left, top = int(row["left"]), int(row["top"])
        right, bottom = left + int(row["width"]), top + int(row["height"])
        box = para.lines.setdefault(int(row["line_num"]), [left, top, right, bottom])
        box[:] = [min(box[0], left), min(box[1], top), max(box[2], right), max(box[3], bottom)]
    scale = 72 / dpi
    return [b for key in sorted(paras) if (b := _block(paras[key], page, scale)) is not None]


def _block(para: _Para, page: int, scale: float) -> BlockDraft | None:
    text = " ".join(w for w, _ in para.words)
    if not any(c.isalnum() for c in text):
        return None  # specks and rules read as punctuation
    lines = [[round(v * scale, 2) for v in box] for _, box in sorted(para.lines.items())]
    bbox = [min(b[0] for b in lines), min(b[1] for b in lines),
            max(b[2] for b in lines), max(b[3] for b in lines)]  # fmt: skip
    confidence = sum(c for _, c in para.words) / len(para.words)
    return BlockDraft(
        block_type=BlockType.PARAGRAPH,
        text=text,
        page_start=page,
        page_end=page,
        bbox=bbox,
        token_estimate=estimate_tokens(text),
        ocr_confidence=round(confidence, 3),
        line_boxes=lines,
    )
