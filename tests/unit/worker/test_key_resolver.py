"""The worker's key resolution: the account's own key first, then the platform's; a rejected key
is marked invalid; no key is never cached."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from strata.contracts.overlays import ModelErrorCode
from strata.crypto import MasterKey, provider_key_context, seal_secret
from strata.worker.keys import AccountKeyResolver, KeyedProvider
from strata.worker.limiter import LimitedProvider, RateLimiter
from strata.worker.openai_compat import OpenAICompatibleProvider
from strata.worker.provider import ModelError
from strata.worker.store import ProviderKey

ACCOUNT = uuid4()


class FakeProvider:
    def __init__(self, name: str) -> None:
        self.name = name

    async def complete(self, request):  # pragma: no cover - never called here
        raise AssertionError


class FakeKeyStore:
    """The worker's KeyStore in memory, ordered as `keys.sql` orders an account's keys."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.fetches = 0

    def add(
        self,
        master: MasterKey,
        secret: str,
        *,
        provider="anthropic",
        status="unvalidated",
        account=ACCOUNT,
        age_s=0,
        base_url=None,
    ) -> UUID:
        key_id = uuid4()
        self.rows.append(
            {
                "id": key_id,
                "account_id": account,
                "provider": provider,
                "base_url": base_url,
                "secret_sealed": seal_secret(
                    master, secret, context=provider_key_context(key_id, account)
                ),
                "master_key_id": master.key_id,
                "status": status,
                "created_at": datetime.now(UTC) - timedelta(seconds=age_s),
            }
        )
        return key_id

    async def account_keys(self, account_id):
        self.fetches += 1
        rows = [r for r in self.rows if r["account_id"] == account_id]
        ordered = sorted(
            rows,
            key=lambda r: (
                r["status"] == "invalid",
                r["status"] != "valid",
                r["provider"] != "anthropic",
                -r["created_at"].timestamp(),
            ),
        )
        return [
            ProviderKey(
                id=r["id"],
                provider=r["provider"],
                base_url=r["base_url"],
                secret_sealed=r["secret_sealed"],
                master_key_id=r["master_key_id"],
                status=r["status"],
            )
            for r in ordered
        ]

    async def mark_key_rejected(self, key_id):
        for row in self.rows:
            if row["id"] == key_id and row["status"] != "invalid":
                row["status"] = "invalid"
                return True
        return False


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _resolver(store, *, platform=None, master=None, clock=None):
    built = []

    def factory(provider, secret, base_url):
        built.append((provider, secret, base_url))
        return FakeProvider(secret)

    resolver = AccountKeyResolver(
        store=store,
        platform=platform,
        master=master,
        anthropic_base_url="http://sim",
        timeout_s=5,
        factory=factory,
        clock=clock or Clock(),
    )
    return resolver, built


async def test_no_key_anywhere_is_no_api_key_and_is_not_cached():
    store = FakeKeyStore()
    resolver, _ = _resolver(store)
    for _ in range(2):
        with pytest.raises(ModelError) as caught:
            await resolver.provider_for(ACCOUNT)
        assert caught.value.error_code is ModelErrorCode.NO_API_KEY
    assert store.fetches == 2  # a key added meanwhile is seen at once


async def test_platform_key_serves_accounts_without_keys_and_the_choice_is_cached():
    store, clock = FakeKeyStore(), Clock()
    platform = FakeProvider("platform")
    resolver, _ = _resolver(store, platform=platform, clock=clock)
    assert await resolver.provider_for(ACCOUNT) is platform
    assert await resolver.provider_for(ACCOUNT) is platform
    assert store.fetches == 1
    clock.now = 100
    await resolver.provider_for(ACCOUNT)
    assert store.fetches == 2


async def test_the_accounts_own_key_wins_over_the_platform_key():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(master, "old-key-0001", age_s=60)
    new_id = store.add(master, "new-key-0002", base_url="http://localhost:9/")
    resolver, built = _resolver(store, platform=FakeProvider("platform"), master=master)
    provider = await resolver.provider_for(ACCOUNT)
    assert isinstance(provider, KeyedProvider) and provider.key_id == new_id
    assert built == [("anthropic", "new-key-0002", "http://localhost:9/")]


async def test_a_rejected_key_is_marked_invalid_and_the_run_waits_without_platform_fallback():
    store, master = FakeKeyStore(), MasterKey.generate()
    key_id = store.add(master, "user-key-0001")
    resolver, _ = _resolver(store, platform=FakeProvider("platform"), master=master)
    provider = await resolver.provider_for(ACCOUNT)
    await resolver.key_rejected(ACCOUNT, provider)
    assert store.rows[0]["status"] == "invalid" and store.rows[0]["id"] == key_id
    with pytest.raises(ModelError) as caught:
        await resolver.provider_for(ACCOUNT)
    assert caught.value.error_code is ModelErrorCode.NO_API_KEY
    assert "invalid" in caught.value.message
    # A new key, and the next resolution uses it at once (nothing negative was cached).
    fresh = store.add(master, "user-key-0002")
    assert (await resolver.provider_for(ACCOUNT)).key_id == fresh


async def test_key_rejected_without_the_provider_uses_the_cached_choice():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(master, "user-key-0001")
    resolver, _ = _resolver(store, master=master)
    await resolver.provider_for(ACCOUNT)
    await resolver.key_rejected(ACCOUNT)
    assert store.rows[0]["status"] == "invalid"


async def test_a_rejected_platform_key_marks_nothing():
    store = FakeKeyStore()
    platform = FakeProvider("platform")
    resolver, _ = _resolver(store, platform=platform)
    await resolver.key_rejected(ACCOUNT, await resolver.provider_for(ACCOUNT))
    assert store.rows == []


async def test_unreadable_keys_wait_with_a_reason_and_never_use_the_platform():
    store = FakeKeyStore()
    store.add(MasterKey.generate(), "sealed-elsewhere-1")
    resolver, _ = _resolver(store, platform=FakeProvider("p"), master=MasterKey.generate())
    with pytest.raises(ModelError) as caught:
        await resolver.provider_for(ACCOUNT)
    assert caught.value.error_code is ModelErrorCode.NO_API_KEY
    assert "STRATA_MASTER_KEY" in caught.value.message
    resolver, _ = _resolver(store, platform=FakeProvider("p"), master=None)
    with pytest.raises(ModelError):
        await resolver.provider_for(ACCOUNT)


async def test_openai_compatible_keys_get_an_openai_compatible_provider():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(
        master, "oa-key-00001", provider="openai_compatible", base_url="http://localhost:1/v1"
    )
    resolver = AccountKeyResolver(
        store=store,
        platform=None,
        master=master,
        anthropic_base_url="http://sim",
        timeout_s=5,
    )
    provider = await resolver.provider_for(ACCOUNT)
    assert isinstance(provider, KeyedProvider)
    assert isinstance(provider.inner, OpenAICompatibleProvider)


async def test_a_valid_anthropic_key_is_preferred():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(master, "oa-key-00001", provider="openai_compatible", status="valid")
    store.add(master, "unvalidated-01")
    good = store.add(master, "valid-key-0001", status="valid", age_s=300)
    resolver, _ = _resolver(store, master=master)
    assert (await resolver.provider_for(ACCOUNT)).key_id == good


class CountingProvider:
    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request):
        self.calls += 1
        return "answered"


async def test_a_key_whose_endpoint_is_private_is_not_called():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(master, "user-key-0001", base_url="https://169.254.169.254/v1")
    inner = CountingProvider()
    resolver = AccountKeyResolver(
        store=store,
        platform=None,
        master=master,
        anthropic_base_url="http://sim",
        timeout_s=5,
        factory=lambda provider, secret, base_url: inner,
    )
    provider = await resolver.provider_for(ACCOUNT)
    with pytest.raises(ModelError) as caught:
        await provider.complete(object())
    assert caught.value.error_code is ModelErrorCode.NO_API_KEY
    assert "169.254.169.254" in str(caught.value) and inner.calls == 0


async def test_an_allowed_private_endpoint_is_called():
    store, master = FakeKeyStore(), MasterKey.generate()
    store.add(master, "user-key-0001", base_url="http://127.0.0.1:8787")
    inner = CountingProvider()
    resolver = AccountKeyResolver(
        store=store,
        platform=None,
        master=master,
        anthropic_base_url="http://sim",
        timeout_s=5,
        allowed_private_hosts=frozenset({"127.0.0.1:8787"}),
        factory=lambda provider, secret, base_url: inner,
    )
    provider = await resolver.provider_for(ACCOUNT)
    assert await provider.complete(object()) == "answered" and inner.calls == 1


async def test_with_a_limiter_each_account_key_is_paced_under_its_own_bucket():
    store, master = FakeKeyStore(), MasterKey.generate()
    key_id = store.add(master, "sk-account")
    limiter = RateLimiter(store=None)  # its store is never reached: nothing is called here
    resolver = AccountKeyResolver(
        store=store,
        platform=None,
        master=master,
        anthropic_base_url="http://sim",
        timeout_s=5,
        factory=lambda provider, secret, base_url: FakeProvider(secret),
        limiter=limiter,
    )
    chosen = await resolver.provider_for(ACCOUNT)
    assert isinstance(chosen, KeyedProvider) and isinstance(chosen.inner, LimitedProvider)
    assert chosen.inner.key == f"key:{key_id}" and chosen.inner.limiter is limiter
    assert chosen.inner.inner.name == "sk-account"
