"""Issue 14: the README lists every error_code a document can end with, and its limits table
names only codes that exist."""

import re
from pathlib import Path

from strata.contracts.documents import DocumentErrorCode

ROOT = Path(__file__).resolve().parents[3]


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def test_every_document_error_code_is_in_the_readme_list() -> None:
    readme = _readme()
    start = readme.index("Every `error_code` a document can end with")
    listed = set(re.findall(r"`([a-z_]+)`", readme[start : readme.index("\n\n", start)]))
    codes = {code.value for code in DocumentErrorCode}
    assert sorted(codes - listed) == []
    assert sorted(listed - codes - {"error_code"}) == []


def test_the_limits_table_names_real_codes() -> None:
    readme = _readme()
    start = readme.index("| limit | setting (default) | error_code | checked |")
    table = readme[start : readme.index("\n\n", start)].splitlines()[2:]
    named = {m for row in table for m in re.findall(r"`([a-z_]+)`", row.split("|")[3])}
    assert named and named <= {code.value for code in DocumentErrorCode}
