"""Flags of a settled block (pure, deterministic, cheap): what a reviewer should look at first.

Computed once, when the worker settles a block, from the block's text, the run's schema version
and the staged values. Each flag is `<kind>:<field path>` (paths are dotted, array items
`[i]`), and `retried` when the answer needed more than one try. Flags are hints for the review
queue and bulk confirm, never a verdict: `$1.5 million` staged as 1500000 is flagged even though
a person would agree with it.
"""

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from strata.contracts.overlays import FlagKind

_SPACES = re.compile(r"\s+")
_GAPS = " \u00a0\u202f'\u2019"  # spaces and apostrophes that group thousands
# Every way a number may be written in text, each read on its own so that "1,250" offers both
# 1250 (thousands comma) and 1.25 (decimal comma); more candidates only mean fewer false flags.
_READINGS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"), ",", "."),  # 1,250,000.50
    (re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"), ".", ","),  # 1.250.000,50
    (re.compile(rf"\d{{1,3}}(?:[{_GAPS}]\d{{3}})+(?:[.,]\d+)?"), _GAPS, ","),  # 1 250 000
    (re.compile(r"\d+[.,]\d+"), "", ","),  # 12.5 or 12,5
    (re.compile(r"(?<![\d.,])[.,]\d+"), "", ","),  # .5
    (re.compile(r"\d+"), "", ""),
)


def normalise_text(text: str) -> str:
    """Case, width and whitespace differences are not differences."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def numbers_in(text: str) -> frozenset[Decimal]:
    """Absolute values of every number the text states, under every plausible reading."""
    text = unicodedata.normalize("NFKC", text)
    found: set[Decimal] = set()
    for pattern, grouping, decimal_mark in _READINGS:
        for match in pattern.finditer(text):
            digits = match.group()
            for mark in grouping:
                digits = digits.replace(mark, "")
            if decimal_mark:
                digits = digits.replace(decimal_mark, ".")
            found.add(_canonical(Decimal(digits)))
    return frozenset(found)


def _canonical(number: Decimal) -> Decimal:
    return abs(number).normalize()


def _number(value: int | float) -> Decimal | None:
    try:  # repr, not the float's binary expansion: 0.1 must compare equal to "0.1"
        return _canonical(Decimal(repr(value)))
    except InvalidOperation:
        return None  # nan/inf cannot be stated in a text anyway


class _Checker:
    def __init__(self, definition: dict[str, Any], text: str, *, answered: bool) -> None:
        self._root = definition
        self._answered = answered
        self._text = normalise_text(text)
        self._raw = text
        self._numbers: frozenset[Decimal] | None = None

    def _resolve(self, spec: dict[str, Any], value: Any) -> dict[str, Any]:
        ref = spec.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = self._root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            spec = target if isinstance(target, dict) else {}
        for key in ("anyOf", "oneOf"):
            variants = [v for v in spec.get(key, []) if isinstance(v, dict)]
            if variants:  # the variant the value looks like; checks of the others do not apply
                return next((v for v in variants if _fits(v, value)), variants[0])
        return spec

    def walk(self, spec: dict[str, Any], value: Any, path: str, *, required: bool) -> Iterator[str]:
        spec = self._resolve(spec, value)
        if value is None:
            # A null the schema allows is an answer ("this block has no such value"), not a
            # doubt: flagging it would flag most blocks of a document. A block that was never
            # answered has every required field missing, nullable or not.
            if required and (not self._answered or not _allows_null(spec)):
                yield f"{FlagKind.REQUIRED_NULL}:{path}"
            return
        if "enum" in spec:
            if not any(_same(value, allowed) for allowed in spec["enum"]):
                yield f"{FlagKind.NOT_IN_ENUM}:{path}"
            return  # an enum value is a label, not a quote: it need not occur in the text
        if "const" in spec:
            return
        if isinstance(value, dict):
            yield from self.object(spec, value, path)
        elif isinstance(value, list):
            items = spec.get("items")
            items = items if isinstance(items, dict) else {}
            for i, item in enumerate(value):
                yield from self.walk(items, item, f"{path}[{i}]", required=False)
        else:
            yield from self.scalar(value, path)

    def scalar(self, value: Any, path: str) -> Iterator[str]:
        if isinstance(value, str):
            wanted = normalise_text(value)
            if wanted and wanted not in self._text:
                yield f"{FlagKind.NOT_IN_TEXT}:{path}"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if self._numbers is None:
                self._numbers = numbers_in(self._raw)
            if _number(value) not in self._numbers:
                yield f"{FlagKind.NUMBER_NOT_IN_TEXT}:{path}"

    def object(self, spec: dict[str, Any], value: dict[str, Any], prefix: str) -> Iterator[str]:
        required = set(spec.get("required", []))
        for name, child in spec.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            spec_of = child if isinstance(child, dict) else {}
            yield from self.walk(spec_of, value.get(name), path, required=name in required)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _fits(spec: dict[str, Any], value: Any) -> bool:
    kinds = spec.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if value is None:
        return "null" in kinds
    if isinstance(value, bool):
        return "boolean" in kinds
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in kinds)


def _allows_null(spec: dict[str, Any]) -> bool:
    if "type" in spec:
        return _fits(spec, None)
    if "enum" in spec:
        return None in spec["enum"]
    return "const" not in spec or spec["const"] is None  # an untyped spec allows anything


def _same(value: Any, allowed: Any) -> bool:
    # JSON equality, as jsonschema's enum check has it: true is not 1, but 1 is 1.0.
    if isinstance(value, bool) or isinstance(allowed, bool):
        return value is allowed
    if isinstance(value, int | float) and isinstance(allowed, int | float):
        return value == allowed
    return type(value) is type(allowed) and value == allowed


def block_flags(
    *, definition: dict[str, Any], values: dict[str, Any] | None, text: str, retried: bool
) -> list[str]:
    """The flags of one settled block. `values` None (a failed block) has every required field
    null, and only then is a required null the schema allows flagged. `retried`: the answer took
    more than one try (an attempt counted, or a split pack)."""
    checker = _Checker(definition, text, answered=values is not None)
    flags = list(checker.object(definition, values or {}, ""))
    if retried:
        flags.append(FlagKind.RETRIED.value)
    return list(dict.fromkeys(flags))
