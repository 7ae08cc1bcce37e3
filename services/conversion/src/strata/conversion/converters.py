"""The converter entry point that runs inside a worker process: bytes in, blocks out."""

from dataclasses import dataclass

from strata.contracts.blocks import BlockDraft
from strata.conversion.errors import UnsupportedSourceError
from strata.conversion.markdown import markdown_to_blocks
from strata.conversion.plaintext import plaintext_to_blocks
from strata.conversion.textdecode import decode_text

# source_format -> the `conversion_path` recorded on the document.
CONVERSION_PATHS = {"md": "markdown-it", "txt": "plaintext"}


@dataclass(frozen=True)
class Converted:
    blocks: list[BlockDraft]
    conversion_path: str


def convert_document(source_format: str, data: bytes) -> Converted:
    """Top-level (picklable) so a ProcessPoolExecutor can run it."""
    if source_format not in CONVERSION_PATHS:
        raise UnsupportedSourceError(f"this deployment has no converter for {source_format!r}")
    text = decode_text(data)
    blocks = markdown_to_blocks(text) if source_format == "md" else plaintext_to_blocks(text)
    return Converted(blocks=blocks, conversion_path=CONVERSION_PATHS[source_format])
