"""Tables as blocks: cells kept as rows x columns, text as GitHub Markdown; a long table is cut
into several blocks that each repeat the header row."""

from strata.contracts.blocks import BlockDraft, BlockType, TableCells
from strata.planning.tokens import estimate_tokens


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def table_markdown(rows: list[list[str]]) -> str:
    width = max((len(r) for r in rows), default=0)

    def line(cells: list[str]) -> str:
        cells = [*cells, *[""] * (width - len(cells))]
        return "| " + " | ".join(_cell(c) for c in cells) + " |"

    header, *body = rows
    return "\n".join([line(header), "|" + "---|" * width, *(line(r) for r in body)])


def square(rows: list[list[str]]) -> list[list[str]]:
    """Ragged rows padded to the widest one; trailing all-empty rows and columns dropped."""
    while rows and not any(c.strip() for c in rows[-1]):
        rows = rows[:-1]
    width = max((len(r) for r in rows), default=0)
    padded = [[*(c.strip() for c in r), *[""] * (width - len(r))] for r in rows]
    while width and not any(r[width - 1].strip() for r in padded):
        width -= 1
        padded = [r[:width] for r in padded]
    return padded


def table_blocks(
    rows: list[list[str]],
    *,
    has_header: bool,
    section_path: list[str],
    rows_per_block: int,
    page: int | None = None,
    bbox: list[float] | None = None,
) -> list[BlockDraft]:
    rows = square(rows)
    if not any(c.strip() for r in rows for c in r):
        return []
    header, body = (rows[:1], rows[1:]) if has_header else ([], rows)
    chunks = [body[i : i + rows_per_block] for i in range(0, len(body), rows_per_block)] or [[]]
    blocks = []
    for chunk in chunks:
        part = header + chunk
        text = table_markdown(part)
        blocks.append(
            BlockDraft(
                block_type=BlockType.TABLE,
                text=text,
                section_path=list(section_path),
                page_start=page,
                page_end=page,
                # Only a whole table has the table's box.
                bbox=bbox if len(chunks) == 1 else None,
                table=TableCells(rows=part, has_header=has_header),
                token_estimate=estimate_tokens(text),
            )
        )
    return blocks
