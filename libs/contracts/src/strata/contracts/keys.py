"""The vocabulary of provider keys, shared by the gateway (which stores them) and the worker
(which uses them and marks rejected ones)."""

from enum import StrEnum


class Provider(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai_compatible"


class KeyStatus(StrEnum):
    UNVALIDATED = "unvalidated"
    VALID = "valid"
    INVALID = "invalid"
