"""The pure parts of the request plumbing: body checks, redaction, request ids, the path table."""

import pytest

from strata.gateway.web.body_guard import (
    MAX_JSON_DEPTH,
    BodyRejectedError,
    check_query,
    parse_json_body,
    unstorable_text,
)
from strata.gateway.web.openapi import allowed_methods, is_upload, path_methods
from strata.gateway.web.request_context import redact_query, request_id_from


@pytest.mark.parametrize("text", ["a\x00", "\ud800", "x\udfffy"])
def test_unstorable_text(text):
    assert unstorable_text(text)
    assert not unstorable_text("plain é 😀")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{", 400),
        (b"\xff", 400),
        (b'{"a": 1} 2', 400),
        (b'{"a": "\\u0000"}', 422),
        (b'{"\\ud83d": 1}', 422),
        (b'{"a": [{"b": ["\\u0000"]}]}', 422),
        (b"[" * (MAX_JSON_DEPTH + 2) + b"]" * (MAX_JSON_DEPTH + 2), 422),
        (b"[" * 100_000 + b"]" * 100_000, 422),
    ],
)
def test_bad_json_bodies_are_refused(body, status):
    with pytest.raises(BodyRejectedError) as refused:
        parse_json_body(body)
    assert refused.value.status == status


def test_good_json_and_escaped_backslashes_pass():
    parse_json_body(b'{"a": "\\\\u0000 is six characters", "b": [1, {"c": null}]}')


def test_nul_in_query_strings():
    for raw in (b"a=%00", b"a=%00b", b"x\x00"):
        with pytest.raises(BodyRejectedError):
            check_query(raw)
    check_query(b"a=%200&b=100")


def test_credentials_in_query_strings_are_redacted():
    redacted = redact_query("access_token=s3cret&limit=5&api_key=k&x-Signature=z&cursor=c")
    assert "s3cret" not in redacted and "=k" not in redacted and "=z" not in redacted
    assert "limit=5" in redacted and "cursor=c" in redacted
    assert redact_query("") == ""


def test_request_ids_are_kept_only_when_sane():
    assert request_id_from("abc-123.x_y:z") == "abc-123.x_y:z"
    for bad in (None, "", "a b", "é", "x" * 129, "a\nb"):
        made = request_id_from(bad)
        assert made != bad and len(made) == 32


def test_the_path_table_lists_methods_and_uploads():
    document = {
        "paths": {
            "/v1/projects": {"get": {}, "post": {}},
            "/v1/projects/{project_id}/documents": {
                "get": {},
                "post": {"requestBody": {"content": {"multipart/form-data": {}}}},
            },
        }
    }
    table = path_methods(document)
    assert allowed_methods(table, "/v1/projects") == {"GET", "HEAD", "POST"}
    assert is_upload(table, "/v1/projects/123/documents", "POST")
    assert not is_upload(table, "/v1/projects/123/documents", "GET")
    assert not is_upload(table, "/v1/projects", "POST")
