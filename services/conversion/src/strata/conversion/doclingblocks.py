"""A DoclingDocument (docx, pptx, xlsx, html, PDF on the standard path) to ordered blocks.

Only the body layer is read: page headers and footers are furniture, not blocks. Headings
(title, section headers) build the section path; a slide (pptx) starts a fresh one under its
title; a sheet (xlsx) puts its name first in the path and its number in page_start. A table's
cells are rows x columns from docling's grid; a nested table stays inside its outer table's
cells; a form's key/value item becomes one `key: value` paragraph.
"""

from docling_core.types.doc import (
    DocItem,
    DocItemLabel,
    DoclingDocument,
    GroupItem,
    GroupLabel,
    NodeItem,
    TableItem,
    TextItem,
)

from strata.contracts.blocks import BlockDraft, BlockType
from strata.conversion.tables import table_blocks
from strata.planning.tokens import estimate_tokens

_TYPES = {
    DocItemLabel.TEXT: BlockType.PARAGRAPH,
    DocItemLabel.PARAGRAPH: BlockType.PARAGRAPH,
    DocItemLabel.FOOTNOTE: BlockType.PARAGRAPH,
    DocItemLabel.REFERENCE: BlockType.PARAGRAPH,
    DocItemLabel.HANDWRITTEN_TEXT: BlockType.PARAGRAPH,
    DocItemLabel.LIST_ITEM: BlockType.LIST_ITEM,
    DocItemLabel.CHECKBOX_SELECTED: BlockType.LIST_ITEM,
    DocItemLabel.CHECKBOX_UNSELECTED: BlockType.LIST_ITEM,
    DocItemLabel.CODE: BlockType.CODE,
    DocItemLabel.CAPTION: BlockType.CAPTION,
    DocItemLabel.FORMULA: BlockType.FORMULA,
}
_SKIP = {DocItemLabel.PAGE_HEADER, DocItemLabel.PAGE_FOOTER, DocItemLabel.PICTURE}


def docling_to_blocks(
    doc: DoclingDocument, *, source_format: str, rows_per_block: int
) -> list[BlockDraft]:
    return _Mapper(doc, source_format=source_format, rows_per_block=rows_per_block).run()


class _Mapper:
    def __init__(self, doc: DoclingDocument, *, source_format: str, rows_per_block: int) -> None:
        self.doc = doc
        self.format = source_format
        self.rows_per_block = rows_per_block
        self.out: list[BlockDraft] = []
        self.headings: list[tuple[int, str]] = []
        self.sheet: str | None = None

    def run(self) -> list[BlockDraft]:
        skip_below: int | None = None  # inside an item already taken whole (table, form item)
        for item, level in self.doc.iterate_items(with_groups=True):
            if skip_below is not None:
                if level > skip_below:
                    continue
                skip_below = None
            if isinstance(item, GroupItem):
                self._group(item)
                continue
            label = getattr(item, "label", None)
            if isinstance(item, TableItem):
                self._table(item)
                skip_below = level
            elif label == DocItemLabel.FIELD_ITEM:
                self._field(item)
                skip_below = level
            elif label == DocItemLabel.TITLE and isinstance(item, TextItem):
                self._heading(item, 1)
            elif label == DocItemLabel.SECTION_HEADER and isinstance(item, TextItem):
                self._heading(item, 1 + int(getattr(item, "level", 1) or 1))
            elif label in _TYPES and isinstance(item, TextItem):
                self._emit(_TYPES[label], item.text, item)
            elif label in _SKIP:
                continue
        return self.out

    def _group(self, group: GroupItem) -> None:
        if group.label == GroupLabel.CHAPTER and self.format == "pptx":
            self.headings = []  # each slide starts afresh under its own title
        elif group.label == GroupLabel.SHEET:
            self.sheet, self.headings = group.name, []

    def _path(self) -> list[str]:
        prefix = [self.sheet] if self.sheet else []
        return prefix + [text for _, text in self.headings]

    def _heading(self, item: TextItem, level: int) -> None:
        text = " ".join(item.text.split())
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self._emit(BlockType.HEADING, text, item)
        self.headings.append((level, text))

    def _emit(self, block_type: BlockType, text: str, item: DocItem) -> None:
        text = text.strip() if block_type is BlockType.CODE else " ".join(text.split())
        if not text:
            return
        page_start, page_end, bbox = self._provenance(item)
        self.out.append(
            BlockDraft(
                block_type=block_type,
                text=text,
                section_path=self._path(),
                page_start=page_start,
                page_end=page_end,
                bbox=bbox,
                token_estimate=estimate_tokens(text),
            )
        )

    def _table(self, item: TableItem) -> None:
        grid = item.data.grid
        rows = [[cell.text for cell in row] for row in grid]
        has_header = bool(grid) and any(cell.column_header for cell in grid[0])
        page, _, bbox = self._provenance(item)
        self.out.extend(
            table_blocks(
                rows,
                # A table without a marked header row (docx, xlsx) still reads best with its
                # first row as the header: that is how people lay tables out.
                has_header=has_header or len(rows) > 1,
                section_path=self._path(),
                rows_per_block=self.rows_per_block,
                page=page,
                bbox=bbox,
            )
        )

    def _field(self, item: NodeItem) -> None:
        parts: dict[str, list[str]] = {}
        for child_ref in item.children:
            child = child_ref.resolve(self.doc)
            if isinstance(child, TextItem) and child.text.strip():
                parts.setdefault(str(child.label), []).append(child.text.strip())
        key = " ".join(parts.get(DocItemLabel.FIELD_KEY.value, []))
        value = " ".join(parts.get(DocItemLabel.FIELD_VALUE.value, []))
        text = f"{key}: {value}" if key and value else key or value
        if isinstance(item, DocItem):
            self._emit(BlockType.PARAGRAPH, text, item)

    def _provenance(self, item: DocItem) -> tuple[int | None, int | None, list[float] | None]:
        provs = getattr(item, "prov", None) or []
        if not provs:
            return None, None, None
        first = provs[0]
        pages = [p.page_no for p in provs]
        if self.format == "xlsx":  # the "box" is a cell range, and the page is the sheet
            return first.page_no, max(pages), None
        box = first.bbox
        page = self.doc.pages.get(first.page_no)
        if page is not None and page.size is not None:
            box = box.to_top_left_origin(page_height=page.size.height)
        # Slides measure in EMU; points (1/72 in) like PDF pages.
        scale = 1 / 12700 if self.format == "pptx" else 1.0
        return first.page_no, max(pages), [round(v * scale, 2) for v in box.as_tuple()]
