"""Spreadsheet safety (pure).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and some treat a
leading tab or carriage return the same way; document text and model answers are untrusted, so
such strings are neutralised by a leading `'` (OWASP, CSV injection). Only strings: numbers and
booleans are written as typed values and cannot be formulas.
"""

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def safe_cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value
