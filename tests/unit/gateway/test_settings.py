import pytest
from pydantic import ValidationError

from strata.gateway.settings import GatewaySettings
from strata.runtime.settings import CommonSettings


@pytest.fixture
def common(tmp_path):
    return CommonSettings(
        database_url="postgresql://u@h/db", amqp_url="amqp://g:g@h/", blob_root=tmp_path
    )


def test_defaults(common):
    settings = GatewaySettings(common=common)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.max_upload_bytes == 50 * 1024 * 1024
    assert settings.page_size_max == 500


def test_environment_is_read_with_the_gateway_prefix(common, monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "9001")
    assert GatewaySettings(common=common).port == 9001


@pytest.mark.parametrize("field", ["port", "max_upload_bytes", "page_size_max"])
def test_bad_values_fail_fast(common, field):
    with pytest.raises(ValidationError):
        GatewaySettings(common=common, **{field: 0})
