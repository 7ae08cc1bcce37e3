"""Webhook signatures verify with the reference Standard Webhooks library; the retry schedule
backs off exponentially for at least a day and a day of failures disables a subscription."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from strata.notify import signing
from strata.notify.retries import RetryPolicy, is_success
from strata.notify.settings import NotifySettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_our_signature_verifies_with_the_reference_library_and_a_tampered_body_does_not():
    secret = signing.new_secret()
    body = json.dumps({"type": "run.completed", "data": {"n": 1}}).encode()
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers(secret=secret, msg_id="d-1", timestamp=now, body=body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "run.completed", "data": {"n": 1}}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"1", b"2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_default_schedule_retries_for_more_than_a_day_with_growing_delays(monkeypatch):
    monkeypatch.setenv("STRATA_DATABASE_URL", "postgresql://x@localhost/x")
    monkeypatch.setenv("STRATA_AMQP_URL", "amqp://x@localhost/")
    monkeypatch.setenv("STRATA_BLOB_ROOT", "/tmp/x")
    policy = NotifySettings().retry_policy()
    delays = [policy.delay(n) for n in range(1, 12)]
    assert delays[:4] == [5.0, 20.0, 80.0, 320.0]
    assert delays == sorted(delays) and max(delays) == 7200.0
    # Attempts go on until the delivery is older than the window (25 h), not before.
    at, attempts = T0, 0
    while (nxt := policy.next_attempt(attempts=attempts + 1, created_at=T0, now=at)) is not None:
        at, attempts = nxt, attempts + 1
    assert at - T0 >= timedelta(hours=24)
    assert attempts > 10


def test_a_day_of_failures_disables_the_subscription():
    policy = RetryPolicy(
        first_delay_s=1, factor=2, max_delay_s=60, retry_window_s=90000, disable_after_s=86400
    )
    assert not policy.disables(failing_since=None, now=T0)
    assert not policy.disables(failing_since=T0, now=T0 + timedelta(hours=23))
    assert policy.disables(failing_since=T0, now=T0 + timedelta(hours=24))
    assert is_success(204) and not is_success(302) and not is_success(None)
