"""Named SQL: one file, or every file of a folder in one namespace."""

from pathlib import Path

import pytest

from strata.runtime.db import Queries


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_a_folder_loads_every_file_into_one_namespace(tmp_path: Path) -> None:
    _write(tmp_path, "a.sql", "-- name: one\n-- The first.\nSELECT 1;\n")
    _write(tmp_path, "b.sql", "-- name: two\n-- The second.\nSELECT 2;\n")
    _write(tmp_path, "notes.txt", "-- name: three\nSELECT 3;\n")
    queries = Queries.load_folder(tmp_path)
    assert queries.names() == ["one", "two"]
    assert queries.two == "SELECT 2;"


def test_a_name_in_two_files_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.sql", "-- name: one\nSELECT 1;\n")
    _write(tmp_path, "b.sql", "-- name: one\nSELECT 2;\n")
    with pytest.raises(ValueError, match="'one' is defined in another file too"):
        Queries.load_folder(tmp_path)
