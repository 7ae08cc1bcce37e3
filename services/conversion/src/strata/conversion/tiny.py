"""A block of three characters or fewer ("I1", "a.", "中文") tells a model nothing on its own:
it joins its neighbour of the same kind, the previous one if it can, else the next, one item
per line. Only paragraphs and list items at the same list level, under the same section and
on the same page join; headings, tables and code stay as they are."""

from strata.contracts.blocks import BlockDraft, BlockType
from strata.planning.tokens import estimate_tokens

TINY_CHARS = 3
_JOINABLE = (BlockType.PARAGRAPH, BlockType.LIST_ITEM)


def is_tiny(block: BlockDraft) -> bool:
    return block.block_type in _JOINABLE and len(block.text.strip()) <= TINY_CHARS


def _joinable(a: BlockDraft, b: BlockDraft) -> bool:
    return (
        a.block_type == b.block_type
        and a.block_type in _JOINABLE
        and a.list_level == b.list_level
        and a.section_path == b.section_path
        and a.page_start == b.page_start
    )


def _join(a: BlockDraft, b: BlockDraft) -> BlockDraft:
    text = f"{a.text}\n{b.text}"
    bbox = a.bbox
    if a.bbox and b.bbox:
        bbox = [min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1]),
                max(a.bbox[2], b.bbox[2]), max(a.bbox[3], b.bbox[3])]  # fmt: skip
    lines = (a.line_boxes or []) + (b.line_boxes or []) or None
    return a.model_copy(
        update={
            "text": text,
            "token_estimate": estimate_tokens(text),
            "page_end": b.page_end or a.page_end,
            "bbox": bbox,
            "line_boxes": lines,
        }
    )


def join_tiny(blocks: list[BlockDraft]) -> list[BlockDraft]:
    out: list[BlockDraft] = []
    all_tiny: list[bool] = []  # out[i] is made of tiny pieces only (a run of short items)
    for i, block in enumerate(blocks):
        tiny = is_tiny(block)
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        prev = out[-1] if out else None
        joins_prev = prev is not None and _joinable(prev, block)
        if (
            tiny
            and joins_prev
            and not all_tiny[-1]
            and nxt
            and is_tiny(nxt)
            and _joinable(block, nxt)
        ):
            joins_prev = False  # a run of short items starts here: keep it to itself
        if joins_prev and (tiny or all_tiny[-1]):
            out[-1] = _join(out[-1], block)
            all_tiny[-1] = all_tiny[-1] and tiny
        else:
            out.append(block)
            all_tiny.append(tiny)
    return out
