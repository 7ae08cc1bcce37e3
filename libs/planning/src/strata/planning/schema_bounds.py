"""What an untrusted extraction schema may contain (pure). Checked by the gateway on save, before
anything recursive touches the schema, so a hostile schema is refused with the path of the
offending keyword instead of reaching the shared worker.

Every walk here is iterative: a schema nested 10,000 levels deep must give an answer, never a
RecursionError. References stay inside the document (`#` or `#/json/pointer`), must point at
something, and must not form a cycle — not even a recursive type that would terminate on a finite
answer: an extraction schema has no use for one, and without cycles the cost of evaluating the
schema (each `$ref` expanded where it is used) is finite and bounded below.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from strata.planning.schema_validator import UnsupportedPatternError, compile_pattern


@dataclass(frozen=True)
class SchemaLimits:
    max_bytes: int = 64 * 1024  # the definition as compact JSON
    max_depth: int = 32  # JSON nesting of the definition document
    max_properties: int = 300  # property names, summed over every object of the schema
    max_enum_values: int = 500  # values of any one `enum`
    max_expanded_nodes: int = 20_000  # subschemas evaluated per answer, each `$ref` expanded


def run_time_limits() -> SchemaLimits:
    """For re-checking a stored schema: only what makes it unsafe to evaluate (non-local, dangling
    or cyclic refs, patterns RE2 refuses), not the sizes a deployment may have chosen."""
    unbounded = 2**62
    return SchemaLimits(
        max_bytes=unbounded,
        max_depth=unbounded,
        max_properties=unbounded,
        max_enum_values=unbounded,
        max_expanded_nodes=10_000_000,  # the ceiling of GATEWAY_SCHEMA_MAX_EXPANDED_NODES
    )


class UnsafeSchemaError(ValueError):
    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{message} (at {pointer or '/'})")
        self.pointer = pointer  # a JSON Pointer into the definition
        self.reason = message


# Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
_ONE = ("additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items", "contains",
        "propertyNames", "not", "if", "then", "else", "additionalItems")  # fmt: skip
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keywords that would give a reference a meaning outside this one document.
_REFUSED = ("$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _subschemas(node: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    for key in _ONE:
        if key in node:
            yield f"{pointer}/{_escape(key)}", node[key]
    for key in _MANY:
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield f"{pointer}/{key}/{i}", sub
    for key in _MAP:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield f"{pointer}/{_escape(key)}/{_escape(name)}", sub


def schemas_in(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the definition with its JSON Pointer (iterative, pre-order)."""
    stack: list[tuple[str, Any]] = [("", definition)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict):
            yield pointer, node
            stack.extend(reversed(list(_subschemas(node, pointer))))


def check_size_and_depth(document: Any, limits: SchemaLimits) -> None:
    size = len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limits.max_bytes:
        raise UnsafeSchemaError("", f"the definition is {size} bytes; at most {limits.max_bytes}")
    stack: list[tuple[str, Any, int]] = [("", document, 1)]
    while stack:
        pointer, node, depth = stack.pop()
        if depth > limits.max_depth:
            raise UnsafeSchemaError(pointer, f"nested deeper than {limits.max_depth} levels")
        if isinstance(node, dict | list):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                stack.append((f"{pointer}/{_escape(str(key))}", child, depth + 1))


def _check_node(pointer: str, node: dict[str, Any], limits: SchemaLimits) -> None:
    for keyword in _REFUSED:
        if keyword in node:
            raise UnsafeSchemaError(
                f"{pointer}/{keyword}",
                f"{keyword} is not supported: use $defs and a local $ref ('#/$defs/name')",
            )
    ref = node.get("$ref")
    if ref is not None and not (isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))):
        raise UnsafeSchemaError(
            f"{pointer}/$ref",
            "only local references ('#' or '#/json/pointer') are allowed; nothing is ever fetched",
        )
    enum = node.get("enum")
    if isinstance(enum, list) and len(enum) > limits.max_enum_values:
        raise UnsafeSchemaError(
            f"{pointer}/enum", f"enum has {len(enum)} values; at most {limits.max_enum_values}"
        )
    patterns = [("pattern", node["pattern"])] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        patterns += [(f"patternProperties/{_escape(p)}", p) for p in node["patternProperties"]]
    for where, pattern in patterns:
        try:
            compile_pattern(pattern)
        except UnsupportedPatternError as exc:
            raise UnsafeSchemaError(f"{pointer}/{where}", str(exc)) from None


def _resolve(definition: dict[str, Any], ref: str, at: str) -> str:
    """The pointer a local `$ref` names, or UnsafeSchemaError when it names nothing."""
    node: Any = definition
    tokens = [_unescape(unquote(t)) for t in ref[2:].split("/")] if ref != "#" else []
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise UnsafeSchemaError(f"{at}/$ref", f"$ref {ref!r} points at nothing")
    return "".join(f"/{_escape(t)}" for t in tokens)


def check_structure(definition: dict[str, Any], limits: SchemaLimits) -> None:
    """Keywords, references, patterns and counts (call after `check_size_and_depth`)."""
    nodes = dict(schemas_in(definition))
    properties = 0
    targets: dict[str, str] = {}  # pointer of a schema with a $ref -> pointer it names
    for pointer, node in nodes.items():
        _check_node(pointer, node, limits)
        if isinstance(node.get("properties"), dict):
            properties += len(node["properties"])
            if properties > limits.max_properties:
                raise UnsafeSchemaError(
                    f"{pointer}/properties", f"more than {limits.max_properties} properties"
                )
        if "$ref" in node:
            target = _resolve(definition, node["$ref"], pointer)
            if target not in nodes:
                raise UnsafeSchemaError(
                    f"{pointer}/$ref", f"$ref {node['$ref']!r} does not point at a schema"
                )
            targets[pointer] = target
    _check_expansion(nodes, targets, limits)


def _check_expansion(
    nodes: dict[str, dict[str, Any]], targets: dict[str, str], limits: SchemaLimits
) -> None:
    """Refuse $ref cycles, and schemas whose refs expand past the limit (a `billion laughs` of
    refs: each level referring twice to the next doubles the work on every answer)."""
    cost: dict[str, int] = {}
    children: dict[str, list[str]] = {p: [] for p in nodes}
    for pointer in nodes:
        parent = pointer.rsplit("/", 1)[0] if pointer else None
        while parent is not None and parent not in nodes:
            parent = parent.rsplit("/", 1)[0] if parent else None
        if parent is not None and pointer:
            children[parent].append(pointer)

    def following(pointer: str) -> list[str]:
        return [*children[pointer], *([targets[pointer]] if pointer in targets else [])]

    for start in nodes:
        # Post-order over "contains" and "refers to" edges, with an explicit stack.
        stack: list[tuple[str, bool]] = [(start, False)]
        on_path: set[str] = set()
        while stack:
            pointer, done = stack.pop()
            if done:
                on_path.discard(pointer)
                cost[pointer] = 1 + sum(cost[p] for p in following(pointer))
                if cost[pointer] > limits.max_expanded_nodes:
                    raise UnsafeSchemaError(
                        pointer, f"$refs expand to more than {limits.max_expanded_nodes} schemas"
                    )
                continue
            if pointer in cost:
                continue
            on_path.add(pointer)
            stack.append((pointer, True))
            if targets.get(pointer) in on_path:  # only a reference can lead back up the path
                raise UnsafeSchemaError(
                    f"{pointer}/$ref",
                    f"$ref cycle: following '#{targets[pointer]}' leads back here",
                )
            stack.extend((p, False) for p in following(pointer) if p not in cost)
