"""Count a workbook's rows before docling loads it: openpyxl builds every row it meets, so a
sheet of a million (even empty) rows is refused here, reading the sheet XML as a stream with
DTDs forbidden (defusedxml)."""

import io
import re
import zipfile

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import iterparse

from strata.conversion.errors import CorruptFileError, TooManyRowsError
from strata.conversion.limits import Limits

_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def check_rows(data: bytes, *, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if _SHEET.match(name):
                    with archive.open(name) as part:
                        _check_sheet(part, name, limits)
    except (zipfile.BadZipFile, DefusedXmlException, SyntaxError, KeyError, EOFError) as exc:
        raise CorruptFileError(f"the workbook could not be read ({exc})") from None


def _check_sheet(part: object, name: str, limits: Limits) -> None:
    rows = highest = 0
    for _, elem in iterparse(part, events=("end",), forbid_dtd=True):
        if elem.tag.endswith("}row") or elem.tag == "row":
            rows += 1
            index = elem.get("r")
            if index and index.isdigit():
                highest = max(highest, int(index))
            if max(rows, highest) > limits.max_rows:
                sheet = name.rsplit("/", 1)[-1].removesuffix(".xml")
                raise TooManyRowsError(
                    f"worksheet {sheet} has more than {limits.max_rows:,} rows; "
                    "this deployment converts up to that many per sheet"
                )
        elem.clear()
