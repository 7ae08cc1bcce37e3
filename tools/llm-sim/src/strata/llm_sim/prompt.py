"""Parse a Messages request into text pieces, the JSON schema and the blocks to answer.

Pure functions over the decoded JSON body; `PromptError` maps to a 400.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from strata.llm_sim.cache_rules import CacheRuleError, breakpoint_ttl, check_ttl_order

logger = logging.getLogger(__name__)

SCHEMA_RE = re.compile(r"<schema>(.*?)</schema>", re.DOTALL)
BLOCK_RE = re.compile(r'<block uid="([^"]*)">(.*?)</block>', re.DOTALL)
# Strata's prompt asks for the sparse form with a line starting "Sparse answers:".
SPARSE_RE = re.compile(r"^Sparse answers:", re.MULTILINE)
FALLBACK_UID = "block"
MAX_CACHE_BREAKPOINTS = 4  # Anthropic rejects requests with more


class PromptError(ValueError):
    """The request is not something the real API (or the Strata contract) accepts."""


@dataclass(frozen=True)
class Piece:
    role: str  # "system" | "user" | "assistant"
    position: str  # e.g. "system[0]", "messages[2][1]"; part of cache keys
    text: str
    cache_control: bool
    ttl: str = "5m"  # lifetime a breakpoint asks for ("5m" or "1h")


@dataclass(frozen=True)
class Block:
    uid: str
    text: str


def _content_pieces(content: Any, *, role: str, where: str) -> list[Piece]:
    if isinstance(content, str):
        return [Piece(role, where, content, False)]
    if not isinstance(content, list):
        raise PromptError(f"{where}: content must be a string or a list of content blocks")
    pieces = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or "type" not in part:
            raise PromptError(f"{where}[{i}]: content block must be an object with a type")
        # Only text is counted/answered; images, tool blocks etc. are ignored.
        if part["type"] == "text":
            if not isinstance(part.get("text"), str):
                raise PromptError(f"{where}[{i}].text: field required")
            try:
                ttl = breakpoint_ttl(part.get("cache_control"), where=f"{where}[{i}]")
            except CacheRuleError as exc:
                raise PromptError(str(exc)) from exc
            pieces.append(Piece(role, f"{where}[{i}]", part["text"], ttl is not None, ttl or "5m"))
    return pieces


def request_pieces(body: dict[str, Any]) -> list[Piece]:
    """System text blocks, then each message's text blocks, in request order."""
    pieces: list[Piece] = []
    system = body.get("system")
    if system is not None and system != "":
        pieces += _content_pieces(system, role="system", where="system")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise PromptError("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise PromptError(f"messages.{i}.role: must be 'user' or 'assistant'")
        pieces += _content_pieces(
            message.get("content"), role=message["role"], where=f"messages[{i}]"
        )
    breakpoints = sum(piece.cache_control for piece in pieces)
    if breakpoints > MAX_CACHE_BREAKPOINTS:
        raise PromptError(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {breakpoints}."
        )
    try:
        check_ttl_order([piece.ttl for piece in pieces if piece.cache_control])
    except CacheRuleError as exc:
        raise PromptError(str(exc)) from exc
    return pieces


def find_schema(pieces: list[Piece]) -> dict[str, Any]:
    """First <schema>…</schema> in system text, else in message text; {} if none."""
    ordered = [p for p in pieces if p.role == "system"] + [p for p in pieces if p.role != "system"]
    for piece in ordered:
        match = SCHEMA_RE.search(piece.text)
        if match:
            try:
                schema = json.loads(match.group(1))
            except json.JSONDecodeError as exc:
                raise PromptError(
                    f"simulator: <schema> in {piece.position} is not valid JSON: {exc}"
                ) from exc
            if not isinstance(schema, dict):
                raise PromptError(f"simulator: <schema> in {piece.position} must be a JSON object")
            return schema
    return {}


def _user_texts(pieces: list[Piece]) -> dict[str, str]:
    """Text of each user message; its pieces joined with "" so a tag split by a
    cache_control boundary still parses. Schema spans are removed first so that
    examples inside a schema are never mistaken for blocks."""
    texts: dict[str, str] = {}
    for piece in pieces:
        if piece.role == "user":
            message = piece.position.split("]")[0] + "]"
            texts[message] = texts.get(message, "") + piece.text
    return {key: SCHEMA_RE.sub("", text) for key, text in texts.items()}


def find_blocks(pieces: list[Piece]) -> list[Block]:
    """Blocks in request order (first occurrence of a uid wins); falls back to the
    whole last user message as one block with uid "block"."""
    user_texts = _user_texts(pieces)
    blocks: dict[str, Block] = {}
    for text in user_texts.values():
        for match in BLOCK_RE.finditer(text):
            uid = html.unescape(match.group(1))
            blocks.setdefault(uid, Block(uid, html.unescape(match.group(2)).strip()))
    if blocks:
        return list(blocks.values())
    last = list(user_texts.values())[-1] if user_texts else ""
    return [Block(FALLBACK_UID, last.strip())]


def wants_sparse(pieces: list[Piece]) -> bool:
    """The system prompt asks for answers that leave out null and default values."""
    return any(SPARSE_RE.search(p.text) for p in pieces if p.role == "system")
