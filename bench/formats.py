"""Format benchmark: the shared corpus through the conversion service's code path (the
`ConverterPool` worker process running `convert_document`, as the service does) and through
docling called directly on the same files, side by side in one run, in the same worker process.

docling direct = `DocumentConverter` with docling's defaults for each format, except PDF, where
docling's default (standard, model-based) pipeline cannot run without its weights: there it is
docling's own model-free `NativePdfPipeline` with page rendering off, i.e. the same docling
stage our `pdf-native` path starts from. txt is ours only (docling has no plain-text reader).

Both sides are warmed up on every file first; then ROUNDS rounds alternate which side goes
first, and each file's median is summed. Times are printed, never asserted.

Last line: formats_ok=<ok>/<total> blocks=<n> overhead_vs_docling=<ours/docling on the files
docling handles>.
"""

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from strata.conversion.converters import convert_document
from strata.conversion.limits import Limits
from strata.conversion.pool import ConverterPool

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FORMATS = ("md", "txt", "csv", "html", "pdf", "docx", "pptx", "xlsx")
DOCLING_FORMATS = {"md", "csv", "html", "pdf", "docx", "pptx", "xlsx"}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def ours(fmt: str, data: bytes) -> tuple[int, str]:
    converted = convert_document(fmt, data, Limits())
    return len(converted.blocks), converted.conversion_path


_CONVERTERS: dict[str, object] = {}


def docling_direct(fmt: str, data: bytes) -> int:
    """docling on its own: convert and count the body items it produced."""
    from io import BytesIO  # noqa: PLC0415

    from docling.datamodel.backend_options import (  # noqa: PLC0415
        ThreadedDoclingParseBackendOptions,
    )
    from docling.datamodel.base_models import DocumentStream, InputFormat  # noqa: PLC0415
    from docling.datamodel.pipeline_options import NativePdfPipelineOptions  # noqa: PLC0415
    from docling.document_converter import DocumentConverter, PdfFormatOption  # noqa: PLC0415
    from docling.pipeline.native_pdf_pipeline import NativePdfPipeline  # noqa: PLC0415

    conv = _CONVERTERS.get("c")
    if conv is None:
        conv = DocumentConverter(
            format_options={
                InputFormat.PDF: PdfFormatOption(
                    pipeline_cls=NativePdfPipeline,
                    pipeline_options=NativePdfPipelineOptions(
                        generate_page_images=False, generate_picture_images=False
                    ),
                    backend_options=ThreadedDoclingParseBackendOptions(render_pages=False),
                )
            }
        )
        _CONVERTERS["c"] = conv
    result = conv.convert(DocumentStream(name=f"document.{fmt}", stream=BytesIO(data)))  # type: ignore[attr-defined]
    return sum(1 for _ in result.document.iterate_items())


async def timed(pool: ConverterPool, fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = await pool.run(fn, *args)  # type: ignore[arg-type]
    return time.perf_counter() - start, out


async def main() -> int:
    files = sorted(p for p in CORPUS.glob("*/*") if p.parent.name in FORMATS)
    if not files:
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    pool = ConverterPool(processes=1, timeout_s=600, warm=True)
    try:
        data = {p: p.read_bytes() for p in files}
        results: dict[Path, tuple[int, str]] = {}
        for p in files:  # warm-up, both sides, every file
            results[p] = await pool.run(ours, p.parent.name, data[p])
            if p.parent.name in DOCLING_FORMATS:
                await pool.run(docling_direct, p.parent.name, data[p])
        ours_t: dict[Path, list[float]] = {p: [] for p in files}
        doc_t: dict[Path, list[float]] = {p: [] for p in files}
        for r in range(ROUNDS):
            for p in files:
                fmt = p.parent.name
                sides = [("ours", ours), ("docling", docling_direct)]
                if r % 2:
                    sides.reverse()
                for side, fn in sides:
                    if side == "docling" and fmt not in DOCLING_FORMATS:
                        continue
                    elapsed, _ = await timed(pool, fn, fmt, data[p])
                    (ours_t if side == "ours" else doc_t)[p].append(elapsed)
    finally:
        await pool.close()

    med = {p: statistics.median(v) for p, v in ours_t.items()}
    dmed = {p: statistics.median(v) for p, v in doc_t.items() if v}
    print(f"{'format':7} {'files':>5} {'blocks':>7} {'ours_s':>8} {'docling_s':>9}  path")
    ok = total_blocks = 0
    for fmt in FORMATS:
        group = [p for p in files if p.parent.name == fmt]
        blocks = sum(results[p][0] for p in group)
        paths = sorted({results[p][1] for p in group})
        fine = bool(group) and all(results[p][0] > 0 for p in group)
        ok += fine
        total_blocks += blocks
        d = sum(dmed[p] for p in group if p in dmed)
        d_text = f"{d:9.3f}" if fmt in DOCLING_FORMATS else f"{'-':>9}"
        print(
            f"{fmt:7} {len(group):5d} {blocks:7d} {sum(med[p] for p in group):8.3f} {d_text}  "
            f"{','.join(paths)}{'' if fine else '  FAILED'}"
        )
    handled = [p for p in files if p in dmed]
    ours_total = sum(med[p] for p in handled)
    docling_total = sum(dmed[p] for p in handled)
    print(f"rounds={ROUNDS} ours_on_docling_files_s={ours_total:.3f} docling_s={docling_total:.3f}")
    ratio = ours_total / docling_total if docling_total else float("nan")
    print(f"formats_ok={ok}/{len(FORMATS)} blocks={total_blocks} overhead_vs_docling={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
