"""Which provider (and so which key) serves an account: the account's own key first, then the
platform's.

- An account with keys of its own uses only them (its bill, its quota): the preferred usable
  key (valid, then unvalidated; Anthropic first; newest). When every one of them is invalid or
  unreadable, the run waits with `no_api_key` (the message says why) — it never silently falls
  back to the platform key.
- An account with no key uses the platform key (`WORKER_ANTHROPIC_API_KEY`), or waits with
  `no_api_key` when there is none.
- A choice is cached per account for a few seconds (`cache_s`); a provider client per key is kept
  for reuse. "No key" is never cached, so a key added before `resume` is used at once.
- `key_rejected` (the provider said 401/403) marks the key `invalid` in `provider_keys` and
  forgets the choice; the next pack resolves again.

- A key's own `base_url` is resolved again before every call (`strata.runtime.egress`): an
  endpoint that now resolves to a private, loopback or link-local address (and is not in
  `STRATA_ALLOWED_PRIVATE_HOSTS`) is not called; its blocks wait with `no_api_key` and a
  message saying why.

Secrets are opened (envelope encryption, `strata.crypto`) only to build a client and are never
logged: log lines name the key's id only.
"""

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from strata.contracts.keys import KeyStatus, Provider
from strata.contracts.overlays import ModelErrorCode
from strata.crypto import DecryptError, MasterKey, open_secret, provider_key_context
from strata.runtime.egress import EgressRefusedError, check_url
from strata.worker.limiter import LimitedProvider, RateLimiter
from strata.worker.openai_compat import OpenAICompatibleProvider
from strata.worker.provider import (
    AnthropicProvider,
    ModelError,
    ModelProvider,
    ModelRequest,
    ModelResponse,
)
from strata.worker.store import KeyStore, ProviderKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyedProvider:
    """A provider built from one of an account's keys; knows which key it is, and checks the
    key's own endpoint (if it has one) before each call."""

    key_id: UUID
    inner: ModelProvider
    base_url: str | None = None
    allowed_private_hosts: frozenset[str] = frozenset()

    async def complete(self, request: ModelRequest) -> ModelResponse:
        if self.base_url:
            try:
                await check_url(self.base_url, allowed=self.allowed_private_hosts)
            except EgressRefusedError as exc:
                raise _no_key(
                    f"the provider key's base_url is refused: {exc}; add a key with a public "
                    "endpoint and resume the run"
                ) from None
        return await self.inner.complete(request)


@dataclass(frozen=True)
class _Choice:
    provider: ModelProvider
    key_id: UUID | None  # None: the platform key
    expires: float


ProviderFactory = Callable[[str, str, str | None], ModelProvider]


def _no_key(message: str) -> ModelError:
    return ModelError(ModelErrorCode.NO_API_KEY, message, retryable=False)


class AccountKeyResolver:
    def __init__(
        self,
        *,
        store: KeyStore,
        platform: ModelProvider | None,
        master: MasterKey | None,
        anthropic_base_url: str | None,
        timeout_s: float,
        allowed_private_hosts: frozenset[str] = frozenset(),
        cache_s: float = 15.0,
        max_clients: int = 1000,
        factory: ProviderFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._store = store
        self._platform = platform
        self._master = master
        self._anthropic_base_url = anthropic_base_url
        self._timeout_s = timeout_s
        self._allowed_private_hosts = allowed_private_hosts
        self._cache_s = cache_s
        self._max_clients = max_clients
        self._factory = factory or self._build
        self._clock = clock
        self._limiter = limiter  # paces each key's calls to its rate limits (None: unpaced)
        self._choices: dict[UUID, _Choice] = {}
        self._clients: OrderedDict[UUID, KeyedProvider] = OrderedDict()

    def _build(self, provider: str, secret: str, base_url: str | None) -> ModelProvider:
        if provider == Provider.ANTHROPIC:
            return AnthropicProvider(
                api_key=secret,
                base_url=base_url or self._anthropic_base_url,
                timeout_s=self._timeout_s,
            )
        if not base_url:
            raise _no_key("an openai_compatible key needs a base_url")
        return OpenAICompatibleProvider(
            api_key=secret, base_url=base_url, timeout_s=self._timeout_s
        )

    async def provider_for(self, account_id: UUID) -> ModelProvider:
        choice = self._choices.get(account_id)
        if choice is None or choice.expires <= self._clock():
            self._choices.pop(account_id, None)
            provider, key_id = await self._choose(account_id)  # raises when there is no key
            choice = _Choice(provider, key_id, self._clock() + self._cache_s)
            self._choices[account_id] = choice
        return choice.provider

    async def _choose(self, account_id: UUID) -> tuple[ModelProvider, UUID | None]:
        rows = await self._store.account_keys(account_id)
        if not rows:
            if self._platform is None:
                raise _no_key(
                    "no provider key: add one to the account (POST /v1/keys) or configure the "
                    "platform key, then resume the run"
                )
            return self._platform, None
        usable = [r for r in rows if r.status != KeyStatus.INVALID]
        if not usable:
            raise _no_key(
                "the account's provider key was rejected by the provider (invalid); add a valid "
                "key (POST /v1/keys) and resume the run"
            )
        for row in usable:
            provider = self._client_for(account_id, row)
            if provider is not None:
                return provider, row.id
        raise _no_key(
            "the account's provider key cannot be read by the worker (STRATA_MASTER_KEY missing "
            "or changed); the operator must fix the master key, or add the key again"
        )

    def _client_for(self, account_id: UUID, row: ProviderKey) -> KeyedProvider | None:
        key_id = row.id
        if (cached := self._clients.get(key_id)) is not None:
            self._clients.move_to_end(key_id)
            return cached
        if self._master is None:
            logger.error("provider key %s: STRATA_MASTER_KEY is not set on the worker", key_id)
            return None
        try:
            secret = open_secret(
                self._master,
                row.secret_sealed,
                context=provider_key_context(key_id, account_id),
            )
        except DecryptError:
            logger.error(
                "provider key %s does not open (sealed under master key %s, this worker has %s)",
                key_id,
                row.master_key_id,
                self._master.key_id,
            )
            return None
        inner = self._factory(row.provider, secret, row.base_url)
        if self._limiter is not None:
            inner = LimitedProvider(inner, self._limiter, f"key:{key_id}")
        client = KeyedProvider(
            key_id,
            inner,
            base_url=row.base_url,
            allowed_private_hosts=self._allowed_private_hosts,
        )
        del secret
        self._clients[key_id] = client
        while len(self._clients) > self._max_clients:
            _, evicted = self._clients.popitem(last=False)
            self._close_later(evicted)
        return client

    def _close_later(self, provider: KeyedProvider) -> None:
        close = getattr(provider.inner, "close", None)
        if close is None:
            return

        async def later() -> None:
            await asyncio.sleep(self._timeout_s * 2)  # let calls in flight finish
            with contextlib.suppress(Exception):
                await close()

        with contextlib.suppress(RuntimeError):  # no running loop: nothing to close on
            asyncio.get_running_loop().create_task(later())

    async def key_rejected(self, account_id: UUID, provider: ModelProvider | None = None) -> None:
        """The provider answered 401/403. `provider` (when the caller passes the one it used)
        names the key exactly; otherwise the account's current choice is taken."""
        choice = self._choices.pop(account_id, None)
        key_id: UUID | None
        if isinstance(provider, KeyedProvider):
            key_id = provider.key_id
        elif provider is not None:
            key_id = None  # not built from an account's key: the platform's
        elif choice is not None:
            key_id = choice.key_id
        else:
            logger.warning("account %s: a key was rejected but no choice is known", account_id)
            return
        if key_id is None:
            logger.error("the platform provider key was rejected; runs wait until it is replaced")
            return
        stale = self._clients.pop(key_id, None)
        if stale is not None:
            self._close_later(stale)
        if await self._store.mark_key_rejected(key_id):
            logger.warning(
                "provider key %s of account %s was rejected (401/403) and is now invalid; "
                "runs of the account wait for a valid key",
                key_id,
                account_id,
            )
