"""Content-Disposition stays one safe header whatever the document is called."""

import re
from urllib.parse import unquote

import pytest

from strata.gateway.web.disposition import content_disposition

_HEADER = re.compile(r"^attachment; filename=\"([^\"\\]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)$")


def _params(header: str) -> dict[str, str]:
    match = _HEADER.fullmatch(header)
    assert match, header
    return {"filename": match[1], "filename*": match[2]}


@pytest.mark.parametrize(
    "name",
    [
        "report.csv",
        'a"b;c=d\r\nSet-Cookie: x.csv',
        "../../etc/passwd.csv",
        "C:\\temp\\x.csv",
        "Contrat signé — été 2024 📄.csv",
        "\u202egnp.exe.csv",
        "...",
        "",
        "x" * 400 + ".xlsx",
    ],
)
def test_any_name_gives_one_quoted_ascii_name_and_a_utf8_name(name: str):
    header = content_disposition(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    params = _params(header)
    ascii_name = params["filename"]
    assert ascii_name and '"' not in ascii_name and "/" not in ascii_name
    assert "\\" not in ascii_name and not ascii_name.startswith(".")
    decoded = unquote(params["filename*"])
    assert "/" not in decoded and "\\" not in decoded and "\u202e" not in decoded
    assert len(decoded) <= 160 and len(ascii_name) <= 160


def test_unicode_names_survive_in_filename_star_and_fold_in_the_fallback():
    header = content_disposition("Contrat signé été.csv")
    assert _params(header)["filename"] == "Contrat signe ete.csv"
    assert unquote(header.split("''", 1)[1]) == "Contrat signé été.csv"


def test_empty_names_fall_back():
    assert _params(content_disposition("", fallback="export"))["filename"] == "export"
    assert _params(content_disposition("📄.md"))["filename"] == "export.md"
