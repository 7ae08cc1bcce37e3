import hashlib

from strata.gateway.web.tokens import TOKEN_PREFIX, hash_token, new_token, token_hint


def test_new_tokens_are_prefixed_long_and_unique():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        assert len(token) >= len(TOKEN_PREFIX) + 43  # 32 random bytes, base64url


def test_hash_is_sha256_hex_of_the_token_text():
    token = "strata_abc"
    assert hash_token(token) == hashlib.sha256(b"strata_abc").hexdigest()
    assert hash_token(token) != hash_token(token + "x")


def test_hint_is_the_last_four_characters():
    assert token_hint("strata_abcdWXYZ") == "WXYZ"
