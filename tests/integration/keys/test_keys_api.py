"""/v1/keys over HTTP against real Postgres and a real simulator: sealed at rest, shown as a
hint, validated with one call, scoped to the account."""

from uuid import UUID, uuid4

import pytest

from strata.crypto import CryptoSettings, MasterKey, open_secret, provider_key_context
from tests.support.api import assert_error

pytestmark = pytest.mark.integration

SECRET = "sk-user-key-abcdef-1234"



async def test_without_a_master_key_keys_are_unavailable(start_gateway, monkeypatch):
    monkeypatch.delenv("STRATA_MASTER_KEY", raising=False)
    gw = await start_gateway()
    auth = await gw.account()
    assert_error(
        await gw.client.post("/v1/keys", json={"api_key": SECRET}, headers=auth),
        503,
        "master_key_missing",
    )
    empty = (await gw.client.get("/v1/keys", headers=auth)).json()
    assert empty == {"items": [], "next_cursor": None}


async def test_keys_are_sealed_shown_as_a_hint_and_scoped_to_the_account(kgw, master):
    auth, other = await kgw.account("a"), await kgw.account("b")
    response = await kgw.client.post(
        "/v1/keys", json={"api_key": SECRET, "label": "mine"}, headers=auth
    )
    assert response.status_code == 201, response.text
    key = response.json()
    assert key["hint"] == "1234" and key["status"] == "unvalidated"
    assert key["provider"] == "anthropic" and key["base_url"] is None
    assert SECRET not in response.text
    row = await kgw.pool.fetchrow("SELECT * FROM provider_keys WHERE id = $1", UUID(key["id"]))
    assert SECRET.encode() not in bytes(row["secret_sealed"])
    assert row["master_key_id"] == master.key_id
    context = provider_key_context(row["id"], row["account_id"])
    assert open_secret(master, bytes(row["secret_sealed"]), context=context) == SECRET

    listed = (await kgw.client.get("/v1/keys", headers=auth)).json()["items"]
    assert [k["id"] for k in listed] == [key["id"]] and SECRET not in str(listed)
    assert (await kgw.client.get("/v1/keys", headers=other)).json()["items"] == []
    assert_error(await kgw.client.get(f"/v1/keys/{key['id']}", headers=other), 404, "not_found")
    assert_error(await kgw.client.delete(f"/v1/keys/{key['id']}", headers=other), 404, "not_found")
    assert_error(await kgw.client.post(f"/v1/keys/{key['id']}/validate", headers=other), 404, "not_found")
    assert (await kgw.client.delete(f"/v1/keys/{key['id']}", headers=auth)).status_code == 204
    assert_error(await kgw.client.get(f"/v1/keys/{key['id']}", headers=auth), 404, "not_found")


async def test_bad_input_is_refused_without_echoing_the_key(kgw):
    auth = await kgw.account()
    for body, code in [
        ({"api_key": SECRET, "base_url": "http://api.example.com"}, "invalid_base_url"),
        ({"api_key": SECRET, "provider": "openai_compatible"}, "invalid_base_url"),
        ({"api_key": "short"}, "invalid_request"),
        ({"api_key": SECRET, "provider": "gemini"}, "invalid_request"),
        ({"api_key": SECRET, "extra": 1}, "invalid_request"),
    ]:
        response = await kgw.client.post("/v1/keys", json=body, headers=auth)
        assert_error(response, 422, code)
        assert SECRET not in response.text


async def test_validate_marks_valid_or_invalid_with_a_timestamp(kgw, sim_url):
    auth = await kgw.account()
    good = (await kgw.client.post("/v1/keys", json={"api_key": SECRET}, headers=auth)).json()
    bad = (
        await kgw.client.post(
            "/v1/keys", json={"api_key": "invalid-key", "base_url": sim_url}, headers=auth
        )
    ).json()
    checked = await kgw.client.post(f"/v1/keys/{good['id']}/validate", headers=auth)
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "valid" and checked.json()["validated_at"]
    checked = (await kgw.client.post(f"/v1/keys/{bad['id']}/validate", headers=auth)).json()
    assert checked["status"] == "invalid" and "401" in checked["status_message"]
    # openai_compatible: GET {base_url}/models (the simulator serves it); a base_url that answers
    # something else (here: the Anthropic root, no /models) is inconclusive and changes nothing.
    oa = (
        await kgw.client.post(
            "/v1/keys",
            json={"api_key": SECRET, "provider": "openai_compatible", "base_url": sim_url + "/v1"},
            headers=auth,
        )
    ).json()
    checked = (await kgw.client.post(f"/v1/keys/{oa['id']}/validate", headers=auth)).json()
    assert checked["status"] == "valid" and checked["validated_at"]
    elsewhere = (
        await kgw.client.post(
            "/v1/keys",
            json={"api_key": SECRET + "x", "provider": "openai_compatible", "base_url": sim_url},
            headers=auth,
        )
    ).json()
    assert_error(
        await kgw.client.post(f"/v1/keys/{elsewhere['id']}/validate", headers=auth),
        502,
        "provider_unavailable",
    )
    assert (await kgw.client.get(f"/v1/keys/{elsewhere['id']}", headers=auth)).json()[
        "status"
    ] == "unvalidated"


async def test_an_unreachable_provider_changes_nothing(kgw):
    auth = await kgw.account()
    key = (
        await kgw.client.post(
            "/v1/keys", json={"api_key": SECRET, "base_url": "http://127.0.0.1:9"}, headers=auth
        )
    ).json()
    assert_error(
        await kgw.client.post(f"/v1/keys/{key['id']}/validate", headers=auth),
        502,
        "provider_unavailable",
    )
    assert_error(await kgw.client.post(f"/v1/keys/{uuid4()}/validate", headers=auth), 404, "not_found")


async def test_a_key_sealed_under_another_master_key_is_unreadable(start_gateway, kgw, sim_url):
    auth = await kgw.account()
    key = (await kgw.client.post("/v1/keys", json={"api_key": SECRET}, headers=auth)).json()
    other = await start_gateway(
        crypto=CryptoSettings(master_key=MasterKey.generate().to_base64()),
        anthropic_base_url=sim_url,
    )
    assert_error(
        await other.client.post(f"/v1/keys/{key['id']}/validate", headers=auth),
        409,
        "key_unreadable",
    )


async def test_private_endpoints_are_refused_when_saved_and_when_called(
    start_gateway, kgw, master, sim_url
):
    auth = await kgw.account()
    for url in ("https://10.0.0.8/v1", "https://169.254.169.254", "https://[::1]:8443"):
        assert_error(
            await kgw.client.post(
                "/v1/keys", json={"api_key": SECRET, "base_url": url}, headers=auth
            ),
            422,
            "invalid_base_url",
        )
    # saved while the deployment allowed the simulator's host...
    key = (
        await kgw.client.post(
            "/v1/keys", json={"api_key": SECRET, "base_url": sim_url}, headers=auth
        )
    ).json()
    # ...and called from a gateway that no longer does: refused before any request is made
    strict = await start_gateway(
        crypto=CryptoSettings(master_key=master.to_base64()), anthropic_base_url=sim_url
    )
    assert_error(
        await strict.client.post(f"/v1/keys/{key['id']}/validate", headers=auth),
        422,
        "invalid_base_url",
    )
    assert (await strict.client.get(f"/v1/keys/{key['id']}", headers=auth)).json()["status"] == (
        "unvalidated"
    )
