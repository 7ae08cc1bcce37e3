"""Count a workbook's rows before docling loads it, reading each sheet's XML as a stream with
DTDs forbidden (defusedxml): a sheet of a million rows is refused before openpyxl builds them.

Row elements are counted, not the highest row number: one stray cell at XFD1048576 does not
make a sheet a million rows long (only the rows written in the file cost anything). Empty row
elements count too: openpyxl still builds each one. The message names the sheet as people see
it, from the workbook's sheet list, not the XML part.
"""

import io
import posixpath
import re
import zipfile
from typing import IO

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

from strata.conversion.errors import CorruptFileError, TooManyRowsError
from strata.conversion.limits import Limits

_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def check_rows(data: bytes, *, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            titles = sheet_titles(archive)
            for name in archive.namelist():
                if _SHEET.match(name):
                    with archive.open(name) as part:
                        _check_sheet(part, titles.get(name, name), limits)
    except (zipfile.BadZipFile, DefusedXmlException, SyntaxError, KeyError, EOFError) as exc:
        raise CorruptFileError(f"the workbook could not be read ({exc})") from None


def sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name (`xl/worksheets/sheet1.xml`) -> sheet name (`Inventory`); empty if unknown."""
    names = set(archive.namelist())
    if not {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names:
        return {}
    targets = {}
    for rel in fromstring(archive.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id")] = posixpath.normpath(path)
    titles = {}
    for elem in fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True).iter():
        if elem.tag.endswith("}sheet") and elem.get(_REL_NS) in targets:
            titles[targets[elem.get(_REL_NS)]] = elem.get("name", "")
    return titles


def _check_sheet(part: IO[bytes], title: str, limits: Limits) -> None:
    rows = 0
    for _, elem in iterparse(part, events=("end",), forbid_dtd=True):
        if elem.tag.endswith("}row") or elem.tag == "row":
            rows += 1
            if rows > limits.max_rows:
                raise TooManyRowsError(
                    f"worksheet {title!r} has more than {limits.max_rows:,} rows; "
                    "this deployment converts up to that many per sheet"
                )
            elem.clear()
