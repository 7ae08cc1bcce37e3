"""Envelope encryption of provider keys and the master key setting."""

import base64

import pytest
from pydantic import ValidationError

from strata.crypto import (
    CryptoSettings,
    DecryptError,
    MasterKey,
    MasterKeyMissingError,
    open_secret,
    provider_key_context,
    seal_secret,
    secret_hint,
)

SECRET = "sk-ant-api03-abcdefghijklmnop-WXYZ"


def test_seal_and_open_round_trip_with_a_fresh_data_key_each_time():
    master = MasterKey.generate()
    one = seal_secret(master, SECRET, context="provider_key:1:a")
    two = seal_secret(master, SECRET, context="provider_key:1:a")
    assert one != two  # new data key and nonces every time
    assert SECRET.encode() not in one
    assert open_secret(master, one, context="provider_key:1:a") == SECRET
    assert open_secret(master, two, context="provider_key:1:a") == SECRET


def test_wrong_master_other_context_or_tampering_do_not_open():
    master = MasterKey.generate()
    sealed = seal_secret(master, SECRET, context=provider_key_context("k1", "acct1"))
    with pytest.raises(DecryptError):
        open_secret(MasterKey.generate(), sealed, context=provider_key_context("k1", "acct1"))
    with pytest.raises(DecryptError):  # copied into another account's row
        open_secret(master, sealed, context=provider_key_context("k1", "acct2"))
    for position in (5, 40, len(sealed) - 1):
        tampered = bytearray(sealed)
        tampered[position] ^= 1
        with pytest.raises(DecryptError):
            open_secret(master, bytes(tampered), context=provider_key_context("k1", "acct1"))
    with pytest.raises(DecryptError):
        open_secret(master, b"\x02" + sealed[1:], context=provider_key_context("k1", "acct1"))


def test_the_master_key_never_shows_and_has_a_stable_id():
    master = MasterKey.generate()
    assert master.to_base64() not in repr(master)
    assert MasterKey.from_base64(master.to_base64()).key_id == master.key_id
    assert MasterKey.generate().key_id != master.key_id


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "",
        "not base64!!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(bytes(32)).decode(),
    ],
)
def test_a_placeholder_or_malformed_master_key_stops_the_start(value, monkeypatch):
    monkeypatch.setenv("STRATA_MASTER_KEY", value)
    with pytest.raises(ValidationError) as caught:
        CryptoSettings()
    assert value not in str(caught.value) or value in ("", "changeme")  # never echoed


def test_the_master_key_is_optional_until_used(monkeypatch):
    monkeypatch.delenv("STRATA_MASTER_KEY", raising=False)
    settings = CryptoSettings()
    assert settings.master() is None
    with pytest.raises(MasterKeyMissingError):
        settings.require_master()
    key = MasterKey.generate().to_base64()
    monkeypatch.setenv("STRATA_MASTER_KEY", key)
    assert CryptoSettings().require_master().to_base64() == key
    assert key not in repr(CryptoSettings())


def test_hint_shows_only_the_last_characters():
    assert secret_hint(SECRET) == "WXYZ"
    assert secret_hint("short123") == "23"
