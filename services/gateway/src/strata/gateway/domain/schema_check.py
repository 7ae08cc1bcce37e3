"""The compatibility check before a save (pure): can the worker run this schema, does its
constant prompt leave room for blocks under the policy, does it use an unsafe construct, are its
field names safe as export columns. Answers pass / warn / fail with one reason per finding.

The hardening rules for schemas (issue 9a) are the authority on unsafe constructs: everything
`validate_definition` refuses is a `fail` here. `_constructs` adds the warnings that are not
refusals."""

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.gateway.domain.builder import from_schema
from strata.gateway.domain.policy import InvalidPolicyOverrideError, run_policy
from strata.gateway.domain.schema_rules import (
    InvalidSchemaError,
    validate_definition,
    validate_prompt_config,
)
from strata.planning.answers import expected_answer_chars
from strata.planning.planner import pack_budgets
from strata.planning.prompt import system_prompt
from strata.planning.schema_bounds import SchemaLimits
from strata.planning.tokens import estimate_tokens

Level = Literal["warn", "fail"]
# Columns every export row already has: a field of the same name would shadow one.
RESERVED_COLUMNS = frozenset(
    {
        "run_id",
        "block_uid",
        "document_id",
        "block_index",
        "block_type",
        "section_path",
        "page_start",
        "page_end",
        "status",
        "staged",
        "confirmed",
        "review_status",
    }
)
PORTABLE_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
# A block smaller than this could not carry a sentence: less room than that cannot run.
MIN_BLOCK_ROOM_TOKENS = 256
# The one-block answer is sized for a paragraph of this length (the estimates' own rule).
TYPICAL_BLOCK_TEXT = "x" * 1000
ROOM_WARN_SHARE = 0.5  # the prompt takes over half of the input budget: few blocks per call


@dataclass(frozen=True)
class Finding:
    level: Level
    code: str
    message: str


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    prompt_tokens: int | None = None
    block_room_tokens: int | None = None
    builder_unsupported: list[str] | None = None

    @property
    def verdict(self) -> str:
        levels = {f.level for f in self.findings}
        return "fail" if "fail" in levels else "warn" if "warn" in levels else "pass"

    def add(self, level: Level, code: str, message: str) -> None:
        self.findings.append(Finding(level, code, message))


def _columns(properties: dict[str, Any], out: CheckResult) -> None:
    lowered: dict[str, str] = {}
    for name in properties:
        if name in RESERVED_COLUMNS:
            out.add("fail", "reserved_column", f"field {name!r} would shadow the export column")
        elif len(name.encode()) > 63 or any(ord(c) < 32 for c in name) or not name.strip():
            out.add("fail", "unsafe_column", f"field {name!r} cannot be an export column")
        elif not PORTABLE_COLUMN.match(name):
            out.add(
                "warn",
                "column_name",
                f"field {name!r} is not lower_snake_case: "
                "spreadsheets and SQL tools will need it quoted",
            )
        if (clash := lowered.setdefault(name.lower(), name)) != name:
            out.add("fail", "column_clash", f"fields {clash!r} and {name!r} differ only by case")


def _constructs(node: Any, where: str, out: CheckResult) -> None:
    """Warnings short of the hardening rules' refusals."""
    if isinstance(node, dict):
        if "pattern" in node or "patternProperties" in node:
            out.add(
                "warn",
                "pattern",
                f"{where}: a regular expression is checked on every "
                "answer; the model often misses it (prefer instructions)",
            )
        if isinstance(node.get("enum"), list) and len(node["enum"]) > 100:
            out.add(
                "warn",
                "large_enum",
                f"{where}: {len(node['enum'])} options make a long prompt and weak answers",
            )
        for key, value in node.items():
            _constructs(value, f"{where}/{key}", out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _constructs(value, f"{where}/{index}", out)


def _budget(
    definition: dict[str, Any], prompt: PromptConfig, policy: PolicySnapshot, out: CheckResult
) -> None:
    system = estimate_tokens(
        system_prompt(definition, prompt, sparse=policy.sparse_answers, rows=policy.row_answers)
    )
    input_room, output_room = pack_budgets(policy, fixed_prompt_tokens=system)
    out.prompt_tokens, out.block_room_tokens = system, input_room
    if input_room < MIN_BLOCK_ROOM_TOKENS:
        out.add(
            "fail",
            "prompt_too_large",
            f"the constant prompt takes {system} tokens: the "
            f"policy's context leaves {max(input_room, 0)} for blocks",
        )
    elif system > ROOM_WARN_SHARE * (system + input_room):
        out.add(
            "warn",
            "prompt_large",
            f"the constant prompt takes {system} tokens, over half "
            "of the input budget: calls will carry few blocks",
        )
    answer = expected_answer_chars(definition, TYPICAL_BLOCK_TEXT) / 4
    if answer > output_room:
        out.add(
            "fail",
            "answer_too_large",
            f"one block's answer needs about {answer:.0f} "
            f"tokens; the policy allows {output_room} per call",
        )


def check(
    *,
    definition: dict[str, Any],
    prompt_config: dict[str, Any] | None,
    admin_settings: dict[str, Any],
    limits: SchemaLimits,
) -> CheckResult:
    out = CheckResult()
    try:
        normalised = validate_definition(definition, limits=limits)
        prompt = validate_prompt_config(prompt_config, properties=normalised["properties"])
    except InvalidSchemaError as exc:
        out.add("fail", "invalid_schema", str(exc))
        return out
    try:
        policy = run_policy(admin_settings=admin_settings, prompt_config=prompt, overrides={})
    except InvalidPolicyOverrideError as exc:
        out.add("fail", "invalid_prompt_settings", str(exc))
        return out
    _columns(normalised["properties"], out)
    _constructs(normalised, "/definition", out)
    _budget(normalised, prompt, policy, out)
    out.builder_unsupported = from_schema(normalised, prompt.model_dump(mode="json")).unsupported
    return out
