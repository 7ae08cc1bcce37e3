"""API token text and its at-rest form. Pure: no I/O."""

import hashlib
import secrets

TOKEN_PREFIX = "strata_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    # The prefix lets secret scanners and people recognise a Strata token on sight.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain fast hash is enough (no salt/KDF needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    return token[-4:]
