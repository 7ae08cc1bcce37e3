"""Issue 14: odd but legitimate files that used to fail, and broken ones that failed with an
undocumented code."""

import pytest

from strata.contracts.blocks import BlockType
from strata.conversion.converters import convert_document
from strata.conversion.errors import CorruptFileError, TooManyRowsError
from strata.conversion.limits import Limits
from tests.support import hostile


@pytest.mark.parametrize("tail", [bytes(8192), b"PK\x03\x04" + bytes(6000)])
def test_a_pdf_with_bytes_after_eof_converts(tail: bytes) -> None:
    converted = convert_document("pdf", hostile.pdf(["Alpha page"]) + tail)
    assert [b.text for b in converted.blocks] == ["Alpha page"]


def test_a_looping_page_tree_is_a_corrupt_file() -> None:
    with pytest.raises(CorruptFileError, match="page tree"):
        convert_document("pdf", hostile.looping_page_tree_pdf())


_STRAY = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Qty</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Bolt</t></is></c><c r="B2"><v>4</v></c></row>'
    '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>'
)


@pytest.mark.timeout(60)
def test_a_stray_far_cell_does_not_make_a_million_rows() -> None:
    converted = convert_document("xlsx", hostile.xlsx(_STRAY, sheet_name="Inventory"))
    table, far = converted.blocks
    assert table.block_type is BlockType.TABLE
    assert table.table is not None and table.table.rows == [["Name", "Qty"], ["Bolt", "4"]]
    assert (far.text, far.section_path) == ("far", ["Inventory"])


def test_too_many_rows_names_the_sheet_not_the_part() -> None:
    rows = hostile.xlsx_rows([[str(i)] for i in range(30)])
    with pytest.raises(TooManyRowsError, match="worksheet 'Inventory' has more than 20 rows"):
        convert_document("xlsx", hostile.xlsx(rows, sheet_name="Inventory"), Limits(max_rows=20))
