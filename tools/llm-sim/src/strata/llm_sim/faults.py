"""Fault injection: which failure (if any) a request gets.

Sources, first match wins: the `x-sim-fault` header, admin rules (POST /_sim/rules),
rule-file rules (LLMSIM_FAULT_RULES), then the per-request/settings fault rate.
All randomness comes from one seeded RNG so a run can be replayed.
"""

from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass, fields
from typing import Any

from strata.llm_sim.prompt import Block

logger = logging.getLogger(__name__)

ERROR_KINDS = ("rate_limited", "overloaded", "server_error", "unauthorized")
KINDS = (*ERROR_KINDS, "stall", "malformed", "drop_block")


@dataclass
class Rule:
    kind: str
    rate: float | None = None
    block_uid_contains: str | None = None
    text_contains: str | None = None
    times: int | None = None
    fired: int = 0  # state, so `times` can stop a rule

    @classmethod
    def parse(cls, raw: Any) -> Rule:
        allowed = {f.name for f in fields(cls)} - {"fired"}
        if not isinstance(raw, dict) or "kind" not in raw or set(raw) - allowed:
            raise ValueError(
                f"rule must be an object with a kind and keys from {sorted(allowed)}: {raw!r}"
            )
        rule = cls(**raw)
        if rule.kind not in KINDS:
            raise ValueError(f"unknown fault kind {rule.kind!r}; expected one of {KINDS}")
        if rule.rate is not None and not 0.0 <= float(rule.rate) <= 1.0:
            raise ValueError(f"rate must be within 0..1: {raw!r}")
        if rule.times is not None and (not isinstance(rule.times, int) or rule.times < 0):
            raise ValueError(f"times must be a non-negative integer: {raw!r}")
        return rule


def parse_rules(raw: Any) -> list[Rule]:
    if not isinstance(raw, list):
        raise ValueError("fault rules must be a JSON list")
    return [Rule.parse(item) for item in raw]


@dataclass(frozen=True)
class Fault:
    kind: str
    target_uid: str | None = None  # the block drop_block removes; None means the last one


def _match(rule: Rule, blocks: list[Block], rng: random.Random) -> Fault | None:
    """Pure except for rule.fired and the RNG: conditions given on a rule must all hold."""
    if rule.times is not None and rule.fired >= rule.times:
        return None
    target: str | None = None
    if rule.block_uid_contains is not None:
        target = next((b.uid for b in blocks if rule.block_uid_contains in b.uid), None)
        if target is None:
            return None
    if rule.text_contains is not None:
        hit = next((b.uid for b in blocks if rule.text_contains in b.text), None)
        if hit is None:
            return None
        target = target or hit
    if rule.rate is not None and rng.random() >= rule.rate:
        return None
    rule.fired += 1
    return Fault(rule.kind, target)


class FaultInjector:
    def __init__(
        self, *, rate: float, kinds: list[str], seed: int | None, rules_path: str | None
    ) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"LLMSIM_FAULT_KINDS has unknown kinds {sorted(unknown)}")
        self._rate, self._kinds, self._seed, self._path = rate, kinds, seed, rules_path
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(self._seed)  # noqa: S311 - replayable, not security
        self.admin_rules: list[Rule] = []
        self._file_rules: list[Rule] = []
        self._file_signature: tuple[int, int] | None = None  # forces a re-read

    def _reload_file(self) -> None:
        if not self._path:
            return
        try:
            stat = os.stat(self._path)
            signature = (stat.st_mtime_ns, stat.st_size)
            if signature == self._file_signature:
                return
            with open(self._path, encoding="utf-8") as handle:
                self._file_rules = parse_rules(json.load(handle))
            self._file_signature = signature
            logger.info("loaded %d fault rules from %s", len(self._file_rules), self._path)
        except (OSError, ValueError) as exc:
            # A half-written file must not crash requests; keep the old rules, retry next time.
            logger.warning("cannot load fault rules from %s: %s", self._path, exc)

    def decide(
        self, *, blocks: list[Block], forced_kind: str | None, request_rate: float | None
    ) -> Fault | None:
        if forced_kind is not None:
            if request_rate is None or self._rng.random() < request_rate:
                return Fault(forced_kind)
            return None
        self._reload_file()
        for rule in (*self.admin_rules, *self._file_rules):
            fault = _match(rule, blocks, self._rng)
            if fault is not None:
                return fault
        rate = self._rate if request_rate is None else request_rate
        if rate > 0 and self._kinds and self._rng.random() < rate:
            return Fault(self._rng.choice(self._kinds))
        return None
