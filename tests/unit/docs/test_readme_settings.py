"""The README documents every environment variable a service reads."""

import importlib
from pathlib import Path

from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[3]
SETTINGS_MODULES = [
    "strata.runtime.settings",
    "strata.runtime.egress",
    "strata.crypto.settings",
    "strata.gateway.settings",
    "strata.ingest.settings",
    "strata.conversion.settings",
    "strata.worker.settings",
    "strata.rollup.settings",
    "strata.export.settings",
    "strata.notify.settings",
    "strata.llm_sim.settings",
]


def env_names() -> set[str]:
    names = set()
    for module_name in SETTINGS_MODULES:
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseSettings)
                and obj.__module__ == module_name
            ):
                prefix = obj.model_config.get("env_prefix", "")
                names |= {
                    f"{prefix}{name}".upper()
                    for name, field in obj.model_fields.items()
                    # Composed settings (common, crypto) are read under their own prefix.
                    if not (
                        isinstance(field.annotation, type)
                        and issubclass(field.annotation, BaseSettings)
                    )
                }
    return names


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = env_names()
    assert len(names) > 30
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert missing == []
