"""Envelope encryption of small secrets (provider API keys).

Each secret gets its own random 256-bit data key; the secret is encrypted with the data key
(AES-256-GCM), and the data key is encrypted ("wrapped") with the master key (AES-256-GCM). Only
the wrapped data key is stored, so the master key never touches the database and rotating it
means re-wrapping data keys, not re-encrypting secrets. Both encryptions bind `context` (e.g.
`provider_key:<id>:<account_id>`) as associated data: a sealed value copied into another row or
another account does not open.

Sealed layout (one bytes value): version (1) | wrap nonce (12) | wrapped data key (32 + 16 tag)
| nonce (12) | ciphertext + tag (16).
"""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_NONCE = 12
_WRAPPED = 32 + 16
_HEADER = 1 + _NONCE + _WRAPPED + _NONCE
# Values people paste when they mean "unset"; refused so a demo placeholder never seals secrets.
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "your-key-here", "placeholder", "secret"})


class DecryptError(Exception):
    """The sealed value does not open with this master key and context."""


@dataclass(frozen=True)
class MasterKey:
    """The key-encryption key. `key_id` names it (a hash prefix, not the key) so a row sealed
    under another master key can be recognised without trying to open it."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError("the master key must be exactly 32 bytes")
        if len(set(self.key)) < 4:
            raise ValueError("the master key is not random (too few distinct bytes)")

    @classmethod
    def from_base64(cls, text: str) -> "MasterKey":
        value = text.strip()
        if value.lower() in PLACEHOLDERS:
            raise ValueError("the master key is a placeholder; generate one (see README)")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the master key must be base64 (32 random bytes)") from None
        return cls(raw)

    @classmethod
    def generate(cls) -> "MasterKey":
        return cls(AESGCM.generate_key(bit_length=256))

    def to_base64(self) -> str:
        return base64.b64encode(self.key).decode("ascii")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"strata-master-key-id:" + self.key).hexdigest()[:12]

    def __repr__(self) -> str:  # never print the key
        return f"MasterKey(key_id={self.key_id!r})"


def _aad(context: str, part: bytes) -> bytes:
    return b"strata-secret:v1:" + part + b":" + context.encode("utf-8")


def seal_secret(master: MasterKey, plaintext: str, *, context: str) -> bytes:
    data_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce, nonce = os.urandom(_NONCE), os.urandom(_NONCE)
    wrapped = AESGCM(master.key).encrypt(wrap_nonce, data_key, _aad(context, b"key"))
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), _aad(context, b"data"))
    return bytes([VERSION]) + wrap_nonce + wrapped + nonce + ciphertext


def open_secret(master: MasterKey, sealed: bytes, *, context: str) -> str:
    if len(sealed) < _HEADER + 16 or sealed[0] != VERSION:
        raise DecryptError("not a sealed secret of a known version")
    wrap_nonce = sealed[1 : 1 + _NONCE]
    wrapped = sealed[1 + _NONCE : 1 + _NONCE + _WRAPPED]
    nonce = sealed[1 + _NONCE + _WRAPPED : _HEADER]
    ciphertext = sealed[_HEADER:]
    try:
        data_key = AESGCM(master.key).decrypt(wrap_nonce, wrapped, _aad(context, b"key"))
        plain = AESGCM(data_key).decrypt(nonce, ciphertext, _aad(context, b"data"))
    except InvalidTag:
        raise DecryptError("wrong master key, wrong context, or a tampered value") from None
    return plain.decode("utf-8")


def secret_hint(secret: str) -> str:
    """What may be shown of a secret: its last 4 characters (less for very short secrets)."""
    return secret[-4:] if len(secret) >= 12 else secret[-2:]


def provider_key_context(key_id: object, account_id: object) -> str:
    """The associated data of a provider key: the gateway seals with it, the worker opens with
    it, and a sealed key moved to another row or account does not open."""
    return f"provider_key:{key_id}:{account_id}"


def webhook_secret_context(subscription_id: object, account_id: object) -> str:
    """The associated data of a webhook signing secret (sealed by the gateway, opened by the
    notify service to sign)."""
    return f"webhook_secret:{subscription_id}:{account_id}"
