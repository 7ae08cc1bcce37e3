"""The format matrix: every file of the shared reference corpus (all eight formats, read in
place from ../shared/corpus, never copied) converts to clean blocks, with a small golden
expectation per file that catches regressions: a block-count range, the block types present
and a few texts that must come out verbatim."""

from pathlib import Path

import pytest

from strata.contracts.blocks import BlockDraft, BlockType
from strata.conversion.converters import convert_document
from tests.support.corpus import CORPUS

FORMATS = ("md", "txt", "csv", "html", "pdf", "docx", "pptx", "xlsx")
PAGED = ("pdf", "pptx", "xlsx")  # page, slide or sheet number in page_start
H, P, L, T, C = (BlockType.HEADING, BlockType.PARAGRAPH, BlockType.LIST_ITEM, BlockType.TABLE,
                 BlockType.CAPTION)  # fmt: skip

# file: (path, (min, max) blocks, types that must be present, texts that must be blocks)
GOLDEN: dict[str, tuple[str, tuple[int, int], set[BlockType], list[str]]] = {
    "csv/csv-comma-in-cell.csv": ("csv", (1, 1), {T}, []),
    "csv/csv-comma.csv": ("csv", (1, 1), {T}, []),
    "csv/csv-inconsistent-header.csv": ("csv", (1, 1), {T}, []),
    "csv/csv-semicolon.csv": ("csv", (1, 1), {T}, []),
    "docx/docx_lists.docx": ("docling", (55, 75), {H, L, P}, ["Test 1:", "List item 1.1"]),
    "docx/lorem_ipsum.docx": ("docling", (5, 5), {P}, []),
    "docx/unit_test_headers.docx": (
        "docling",
        (20, 24),
        {H, P},
        ["Section 1.2.3", "Paragraph 2.2"],
    ),
    "docx/word_sample.docx": (
        "docling",
        (20, 26),
        {H, L, P, T},
        ["Let\u2019s swim!", "Use sun cream"],
    ),
    "docx/word_tables.docx": ("docling", (13, 17), {H, P, T}, ["A uniform table"]),
    "html/example_03.html": ("docling", (13, 17), {H, L, P, T}, ["Nested ordered item 2"]),
    "html/kvp_data_example.html": ("docling", (12, 18), {H, P, T}, ["Restaurant: Docling"]),
    "html/table_06.html": ("docling", (3, 6), {H, P, T}, ["After table"]),
    "html/wiki_duck.html": ("docling", (900, 1600), {H, L, P, T}, ["Etymology"]),
    "md/blocks.md": ("markdown-it", (15, 22), {H, L, P, BlockType.CODE}, ["foo"]),
    "md/mixed.md": ("markdown-it", (7, 11), {H, P}, ["Some paragraph."]),
    "md/nested.md": ("markdown-it", (18, 26), {H, L}, ["abc123"]),
    "md/wiki.md": ("markdown-it", (12, 12), {H, P}, ["IBM"]),
    "pdf/2305.03393v1-pg9.pdf": ("pdf-native", (8, 30), {P, T, C}, []),
    "pdf/code_and_formula.pdf": (
        "pdf-native",
        (7, 12),
        {H, P, C, BlockType.CODE, BlockType.FORMULA},
        ["JavaScript Code Example", "Listing 1: Simple JavaScript Program", "a2 + 8 = 12"],
    ),
    "pdf/multi_page.pdf": (
        "pdf-native",
        (30, 60),
        {H, P, L},
        ["The Evolution of the Word Processor", "Future of Word Processing"],
    ),
    "pdf/normal_4pages.pdf": ("pdf-native", (30, 70), {P, T}, []),
    "pptx/powerpoint_sample.pptx": (
        "docling",
        (20, 30),
        {H, L, P, T},
        ["Test Table Slide", "Second slide title", "With foo"],
    ),
    "pptx/pptx_chart.pptx": ("docling", (2, 5), {H}, ["Quarterly Duck Survey"]),
    "txt/wiki.txt": ("plaintext", (12, 12), {P}, []),
    "xlsx/xlsx_01.xlsx": ("docling", (6, 10), {T}, []),
    "xlsx/xlsx_05_table_with_title.xlsx": (
        "docling",
        (2, 2),
        {P, T},
        ["Number of freshwater ducks per year"],
    ),
}
FILES = sorted(p for p in CORPUS.glob("*/*") if p.parent.name in FORMATS)


def _convert(path: Path) -> tuple[list[BlockDraft], str]:
    converted = convert_document(path.parent.name, path.read_bytes())
    return converted.blocks, converted.conversion_path


def test_the_matrix_covers_every_corpus_file_and_all_eight_formats() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in FILES}
    assert names == set(GOLDEN)
    assert {p.parent.name for p in FILES} == set(FORMATS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_converts_to_faithful_blocks(path: Path) -> None:
    conversion_path, (low, high), types, texts = GOLDEN[f"{path.parent.name}/{path.name}"]
    blocks, used = _convert(path)
    assert used == conversion_path
    assert low <= len(blocks) <= high, len(blocks)
    assert types <= {b.block_type for b in blocks}
    present = {b.text for b in blocks}
    for text in texts:
        assert text in present
    for block in blocks:
        assert block.text.strip(), block  # no empty fragments
        assert block.token_estimate > 0
        assert all(part.strip() for part in block.section_path)
        if path.parent.name in PAGED:
            assert block.page_start is not None and block.page_end is not None
            assert block.page_start <= block.page_end
        if path.parent.name == "pdf":
            assert block.bbox is not None and len(block.bbox) == 4
        if block.block_type is BlockType.TABLE:
            assert block.table is not None and block.table.n_rows >= 1
            assert all(len(row) == block.table.n_cols for row in block.table.rows)
            assert block.text.startswith("| ") and "|---" in block.text
    # headings produce section paths: what follows a heading sits under it
    if BlockType.HEADING in {b.block_type for b in blocks}:
        first = next(i for i, b in enumerate(blocks) if b.block_type is BlockType.HEADING)
        after = [b for b in blocks[first + 1 :] if b.block_type is not BlockType.HEADING]
        assert after and after[0].section_path


def test_pdf_pages_headings_and_sections() -> None:
    blocks, _ = _convert(CORPUS / "pdf" / "multi_page.pdf")
    assert {b.page_start for b in blocks} == {1, 2, 3, 4, 5}
    item = next(b for b in blocks if b.text.startswith("3. Templates"))
    assert item.block_type is BlockType.LIST_ITEM
    assert item.section_path == ["Key Features That Changed Word Processing"]
    assert item.page_start == 3
    # running page numbers are not blocks
    assert not any(b.text.strip().isdigit() for b in blocks)


def test_pdf_ruled_table_keeps_its_cells() -> None:
    blocks, _ = _convert(CORPUS / "pdf" / "normal_4pages.pdf")
    (table,) = [b for b in blocks if b.block_type is BlockType.TABLE]
    assert table.page_start == 2
    assert table.table is not None and table.table.rows[0] == ["구분", "개정전", "개정후"]


def test_pptx_slide_title_is_the_heading_of_its_slide() -> None:
    blocks, _ = _convert(CORPUS / "pptx" / "powerpoint_sample.pptx")
    table = next(b for b in blocks if b.block_type is BlockType.TABLE)
    assert (table.page_start, table.section_path) == (1, ["Test Table Slide"])
    assert table.table is not None and (table.table.n_rows, table.table.n_cols) == (9, 7)
    item = next(b for b in blocks if b.text == "With foo")
    assert (item.page_start, item.section_path) == (2, ["Second slide title"])


def test_xlsx_sheet_name_and_number_are_provenance() -> None:
    blocks, _ = _convert(CORPUS / "xlsx" / "xlsx_01.xlsx")
    tables = [b for b in blocks if b.block_type is BlockType.TABLE]
    assert [(b.section_path, b.page_start) for b in tables][:2] == [
        (["Sheet1"], 1),
        (["Sheet2"], 2),
    ]
    assert tables[0].table is not None
    assert tables[0].table.rows[0] == ["first", "second", "third"]


def test_csv_dialects_and_ragged_rows() -> None:
    comma, _ = _convert(CORPUS / "csv" / "csv-comma.csv")
    semicolon, _ = _convert(CORPUS / "csv" / "csv-semicolon.csv")
    assert comma[0].table is not None and semicolon[0].table is not None
    assert comma[0].table.rows[0] == semicolon[0].table.rows[0]
    assert comma[0].table.rows[0][:3] == ["Index", "Customer Id", "First Name"]
    ragged, _ = _convert(CORPUS / "csv" / "csv-inconsistent-header.csv")
    assert ragged[0].table is not None and ragged[0].table.n_cols == 4


def test_html_has_no_script_or_style_and_links_keep_their_text() -> None:
    blocks, _ = _convert(CORPUS / "html" / "wiki_duck.html")
    text = "\n".join(b.text for b in blocks)
    assert "function(" not in text and "document.documentElement" not in text
    assert "{display:" not in text.replace(" ", "")
    assert any("Anatidae" in b.text for b in blocks)  # linked words stay in the sentence


def test_standard_pdf_path_needs_both_model_folders(tmp_path: Path) -> None:
    from strata.conversion.engine import (  # noqa: PLC0415
        STANDARD_MODEL_FOLDERS,
        standard_weights_present,
    )

    assert not standard_weights_present(None)
    assert not standard_weights_present(str(tmp_path))
    for name in STANDARD_MODEL_FOLDERS:
        (tmp_path / name).mkdir()
    assert not standard_weights_present(str(tmp_path))  # empty folders are not weights
    for name in STANDARD_MODEL_FOLDERS:
        (tmp_path / name / "model.safetensors").write_bytes(b"x")
    assert standard_weights_present(str(tmp_path))
