"""The master key setting (`STRATA_MASTER_KEY`): base64 of 32 random bytes.

Optional at start (a deployment without user provider keys needs none), validated at start when
given (a placeholder or a malformed value stops the process), and required at first use.
"""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strata.crypto.envelope import MasterKey


class MasterKeyMissingError(Exception):
    """STRATA_MASTER_KEY is not set: secrets cannot be stored or read."""


class CryptoSettings(BaseSettings):
    # hide_input_in_errors: a malformed master key must not be echoed in the start-up error.
    model_config = SettingsConfigDict(
        env_prefix="STRATA_", extra="ignore", hide_input_in_errors=True
    )

    # Generate one: python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"
    master_key: SecretStr | None = Field(None, description="base64 of 32 random bytes")

    @field_validator("master_key")
    @classmethod
    def _valid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                MasterKey.from_base64(value.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"STRATA_MASTER_KEY: {exc}") from None
        return value

    def master(self) -> MasterKey | None:
        if self.master_key is None:
            return None
        return MasterKey.from_base64(self.master_key.get_secret_value())

    def require_master(self) -> MasterKey:
        master = self.master()
        if master is None:
            raise MasterKeyMissingError(MasterKeyMissingError.__doc__)
        return master
