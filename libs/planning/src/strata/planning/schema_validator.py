"""Validating against an untrusted extraction schema (pure: no I/O, no backtracking regexes).

A schema is written by one tenant and evaluated by the worker every tenant shares, so two things
jsonschema does by default are not acceptable here:

- a `$ref` it cannot resolve locally is fetched (its deprecated `urlopen` fallback: SSRF, `file://`,
  and a stall with no timeout). Our registry's `retrieve` refuses every URI, so only references
  inside the schema itself ever resolve;
- `pattern`, `patternProperties` and `format: "regex"` use Python's backtracking `re`, where
  `^(a+)+$` doubles its time per character. Here they use RE2, which matches in time linear in
  the input and refuses what it cannot match that way (backreferences, lookaround).

The gateway checks schemas with the same functions (`schema_rules.check_untrusted_schema`), so a
schema accepted on save is evaluated the same way at run time.
"""

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is an answer to the user, not a log line


class UnsupportedPatternError(ValueError):
    """A regular expression RE2 cannot compile (so it cannot be matched in linear time)."""


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern (cached: a run validates every answer with the same few)."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise UnsupportedPatternError(
            f"pattern {pattern[:80]!r} is not supported (linear-time RE2 syntax only: {detail})"
        ) from None


def _refuse_retrieval(uri: str) -> Resource[Any]:
    # Never fetch: not over HTTP, not from files. The gateway refuses non-local $refs on save.
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


# The JSON Schema specifications' own documents are bundled (a `$schema` or the metaschema check
# needs them); everything else is refused.
NO_FETCH_REGISTRY: Registry[Any] = SPECIFICATIONS.combine(
    Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]
)


def _pattern(
    validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Validator, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = compile_pattern(pattern)
        for key, value in instance.items():
            if regex.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _is_regex(value: object) -> bool:
    if isinstance(value, str):
        compile_pattern(value)
    return True


# Formats stay annotations, as before, except `regex`, which must not reach Python's `re`.
REGEX_FORMAT = FormatChecker(formats=())
REGEX_FORMAT.checks("regex", raises=UnsupportedPatternError)(_is_regex)

SafeValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties},
)


def answer_validator(definition: dict[str, Any]) -> Validator:
    """A validator for one block's answer that never fetches and never backtracks."""
    return SafeValidator(definition, registry=NO_FETCH_REGISTRY, format_checker=REGEX_FORMAT)


def metaschema_errors(definition: dict[str, Any]) -> Iterator[ValidationError]:
    """Where the definition is not valid JSON Schema 2020-12 (its `pattern`s checked by RE2)."""
    meta = SafeValidator(
        Draft202012Validator.META_SCHEMA, registry=NO_FETCH_REGISTRY, format_checker=REGEX_FORMAT
    )
    return meta.iter_errors(definition)
