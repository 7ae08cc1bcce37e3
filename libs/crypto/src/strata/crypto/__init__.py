"""Secrets at rest: envelope encryption under a master key from the environment (no I/O)."""

from strata.crypto.envelope import (
    DecryptError,
    MasterKey,
    open_secret,
    provider_key_context,
    seal_secret,
    secret_hint,
    webhook_secret_context,
)
from strata.crypto.settings import CryptoSettings, MasterKeyMissingError

__all__ = [
    "CryptoSettings",
    "DecryptError",
    "MasterKey",
    "MasterKeyMissingError",
    "open_secret",
    "provider_key_context",
    "seal_secret",
    "secret_hint",
    "webhook_secret_context",
]
