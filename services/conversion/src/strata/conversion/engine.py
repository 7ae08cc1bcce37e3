"""docling, configured once per worker process: offline, nothing fetched, no page images.

One `DocumentConverter` per (format, pipeline) is built on first use and kept, so a warm worker
pays docling's set-up once, not per document.
"""

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from docling.datamodel.backend_options import (
    HTMLBackendOptions,
    MsExcelBackendOptions,
    ThreadedDoclingParseBackendOptions,
)
from docling.datamodel.base_models import ConversionStatus, DocumentStream, InputFormat
from docling.datamodel.pipeline_options import (
    NativePdfPipelineOptions,
    PdfPipelineOptions,
)
from docling.document_converter import (
    DocumentConverter,
    ExcelFormatOption,
    FormatOption,
    HTMLFormatOption,
    PdfFormatOption,
    PowerpointFormatOption,
    WordFormatOption,
)
from docling.exceptions import ConversionError as DoclingConversionError
from docling.pipeline.native_pdf_pipeline import NativePdfPipeline
from docling_core.types.doc import DoclingDocument

from strata.conversion.errors import CorruptFileError

INPUT_FORMATS = {
    "docx": InputFormat.DOCX,
    "pptx": InputFormat.PPTX,
    "xlsx": InputFormat.XLSX,
    "html": InputFormat.HTML,
    "pdf": InputFormat.PDF,
}
# Folders `docling-tools models download layout tableformer` writes under the artifacts path.
STANDARD_MODEL_FOLDERS = (
    "docling-project--docling-layout-heron",
    "docling-project--docling-models",
)


def standard_weights_present(artifacts_path: str | None) -> bool:
    """True when the layout and table models for the standard PDF pipeline are on disk."""
    if not artifacts_path:
        return False
    root = Path(artifacts_path)
    return all((root / name).is_dir() and any((root / name).iterdir())
               for name in STANDARD_MODEL_FOLDERS)  # fmt: skip


def _option(source_format: str, pdf_pipeline: str, artifacts_path: str | None) -> FormatOption:
    if source_format == "html":
        return HTMLFormatOption(
            # Content before the first heading is content; nothing is fetched.
            backend_options=HTMLBackendOptions(infer_furniture=False, fetch_images=False)
        )
    if source_format == "xlsx":
        return ExcelFormatOption(
            backend_options=MsExcelBackendOptions(
                render_chart_images=False, treat_singleton_as_text=True
            )
        )
    if source_format == "docx":
        return WordFormatOption()
    if source_format == "pptx":
        return PowerpointFormatOption()
    if pdf_pipeline == "standard":
        return PdfFormatOption(
            pipeline_options=PdfPipelineOptions(
                artifacts_path=artifacts_path,
                do_ocr=False,
                do_table_structure=True,
                generate_page_images=False,
            )
        )
    return PdfFormatOption(
        pipeline_cls=NativePdfPipeline,
        pipeline_options=NativePdfPipelineOptions(
            generate_page_images=False, generate_picture_images=False
        ),
        backend_options=ThreadedDoclingParseBackendOptions(render_pages=False),
    )


@cache
def converter(
    source_format: str, pdf_pipeline: str = "native", artifacts_path: str | None = None
) -> DocumentConverter:
    fmt = INPUT_FORMATS[source_format]
    return DocumentConverter(
        allowed_formats=[fmt],
        format_options={fmt: _option(source_format, pdf_pipeline, artifacts_path)},
    )


def run_docling(
    source_format: str,
    data: bytes,
    *,
    pdf_pipeline: str = "native",
    artifacts_path: str | None = None,
) -> tuple[DoclingDocument, list[Any]]:
    """Convert with docling; returns the document and docling's pages (PDF: parsed cells)."""
    conv = converter(source_format, pdf_pipeline, artifacts_path)
    stream = DocumentStream(name=f"document.{source_format}", stream=BytesIO(data))
    try:
        result = conv.convert(stream, raises_on_error=False)
    except DoclingConversionError as exc:
        raise CorruptFileError(
            f"the {source_format} file could not be read ({_first_line(exc)})"
        ) from None
    if result.status not in (ConversionStatus.SUCCESS, ConversionStatus.PARTIAL_SUCCESS):
        detail = "; ".join(e.error_message for e in result.errors[:2]) or result.status.value
        raise CorruptFileError(f"the {source_format} file could not be read ({detail[:300]})")
    return result.document, result.pages


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
