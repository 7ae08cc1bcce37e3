"""The deployment artifacts agree with the code: commands are real console scripts, every env
var is a real setting, the kustomization lists real files, KEDA watches the real queue.

Parsing only (no Docker, no cluster): reads Dockerfile, docker-compose.yml and deploy/k8s."""

import importlib
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from strata.contracts import routing

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
BLOB_ROOT = "/data/blobs"

SERVICES = ("gateway", "ingest", "conversion", "worker", "rollup", "export", "notify")
BLOB_SERVICES = ("gateway", "ingest", "conversion", "export")  # they read or write blobs
# Read from the environment by code outside the settings classes (or by libraries).
EXTRA_ENV = {"HF_HUB_OFFLINE", "ANTHROPIC_API_KEY"}
EXTRA_ENV_PREFIXES = ("OTEL_",)
NOT_IN_KUSTOMIZATION = {"kustomization.yaml", "secret.example.yaml"}


# ---------------------------------------------------------------- what the code defines


def _package_dirs() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/*/pyproject.toml") if p.parts[-3] != "tests")


@cache
def console_scripts() -> frozenset[str]:
    names: set[str] = set()
    for pkg in _package_dirs():
        project = tomllib.loads((pkg / "pyproject.toml").read_text())["project"]
        names |= set(project.get("scripts", {}))
    return frozenset(names)


def _settings_modules() -> list[str]:
    files = [
        *ROOT.glob("libs/*/src/strata/*/settings.py"),
        *ROOT.glob("services/*/src/strata/*/settings.py"),
        *ROOT.glob("tools/*/src/strata/*/settings.py"),
    ]
    return sorted(f"strata.{f.parent.name}.settings" for f in files)


def _is_settings_class(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseSettings)


@cache
def setting_env_names() -> frozenset[str]:
    """env_prefix + FIELD for every BaseSettings class in a settings module (nested settings
    fields such as `common` are skipped: they read their own prefix)."""
    names: set[str] = set()
    for module_name in _settings_modules():
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if not (_is_settings_class(obj) and obj.__module__ == module_name):
                continue
            prefix = obj.model_config.get("env_prefix", "")
            for field_name, field in obj.model_fields.items():
                if not _is_settings_class(field.annotation):
                    names.add(f"{prefix}{field_name}".upper())
    return frozenset(names)


def unknown_env(names: set[str]) -> set[str]:
    allowed = setting_env_names() | EXTRA_ENV
    return {n for n in names if n not in allowed and not n.startswith(EXTRA_ENV_PREFIXES)}


def test_the_settings_classes_are_found():
    found = setting_env_names()
    for expected in (
        "STRATA_DATABASE_URL",
        "STRATA_AMQP_URL",
        "STRATA_BLOB_ROOT",
        "GATEWAY_HOST",
        "INGEST_MAX_BYTES",
        "CONVERSION_PROCESSES",
        "WORKER_ANTHROPIC_API_KEY",
        "ROLLUP_SWEEP_INTERVAL_S",
        "EXPORT_FETCH_ROWS",
        "LLMSIM_PORT",
    ):
        assert expected in found
    assert not any(n.endswith("_COMMON") for n in found)


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_builds_one_non_root_image_with_every_package():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert "pip install -e" not in text and " -e ./" not in text
    for pkg in _package_dirs():
        assert f"./{pkg.relative_to(ROOT).as_posix()}" in text, f"{pkg.name} not installed"
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "HF_HUB_OFFLINE=1" in text
    assert f"STRATA_BLOB_ROOT={BLOB_ROOT}" in text
    assert re.search(rf'^VOLUME \["{BLOB_ROOT}"\]$', text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", "var", ".git", "**/__pycache__"):
        assert entry in ignored


# ---------------------------------------------------------------- docker-compose.yml


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _command(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def _env_names(env: dict[str, Any] | list[str] | None) -> set[str]:
    if env is None:
        return set()
    if isinstance(env, dict):
        return set(env)
    return {item.split("=", 1)[0] for item in env}


def strata_compose_services() -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in compose()["services"].items()
        if str(spec.get("image", "")).startswith("strata")
    }


def test_compose_has_every_service_and_the_infrastructure():
    services = compose()["services"]
    expected = {*SERVICES, "migrate", "rabbitmq", "postgres", "jaeger", "llm-sim"}
    assert expected <= set(services)
    assert {"x-strata-env", "x-strata-service"} <= set(compose())


def test_compose_commands_are_console_scripts():
    strata = strata_compose_services()
    assert {*SERVICES, "migrate", "llm-sim"} <= set(strata)
    for name, spec in strata.items():
        command = _command(spec)
        assert command, f"{name} has no command"
        assert command[0] in console_scripts(), f"{name}: {command[0]} is no console script"
    for svc in SERVICES:
        assert _command(strata[svc])[0] == f"strata-{svc}"
    assert _command(strata["migrate"])[0] == "strata-migrate"


def test_compose_env_vars_are_real_settings():
    for name, spec in strata_compose_services().items():
        names = _env_names(spec.get("environment"))
        assert not unknown_env(names), f"{name}: {sorted(unknown_env(names))}"
    assert not unknown_env(set(compose()["x-strata-env"]))


def test_compose_ordering_and_health():
    services = compose()["services"]
    assert services["rabbitmq"]["healthcheck"]["test"][-3:] == [
        "rabbitmq-diagnostics",
        "-q",
        "ping",
    ]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "strata"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for svc in SERVICES:
        deps = services[svc]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", svc
        assert deps["rabbitmq"]["condition"] == "service_healthy", svc
    assert "/readyz" in " ".join(services["gateway"]["healthcheck"]["test"])
    assert "8000:8000" in services["gateway"]["ports"]
    assert services["gateway"]["environment"]["GATEWAY_HOST"] == "0.0.0.0"
    assert "/health" in " ".join(services["llm-sim"]["healthcheck"]["test"])
    assert "0.0.0.0" in _command(services["llm-sim"])


def test_compose_worker_uses_the_simulator_unless_given_a_key():
    env = compose()["services"]["worker"]["environment"]
    assert env["WORKER_ANTHROPIC_API_KEY"] == "${ANTHROPIC_API_KEY:-sim-key}"
    assert env["WORKER_ANTHROPIC_BASE_URL"].endswith(":-http://llm-sim:8787}")


def test_compose_blobs_live_in_minio_not_in_a_shared_volume():
    services = compose()["services"]
    env = compose()["x-strata-env"]
    bucket = env["STRATA_BLOB_URL"].removeprefix("s3://").split("/")[0]
    assert env["STRATA_BLOB_URL"].startswith("s3://") and "STRATA_BLOB_ROOT" not in env
    assert env["STRATA_BLOB_ENDPOINT"] == "http://minio:9000"
    assert env["STRATA_BLOB_ALLOW_HTTP"] == "true"  # http endpoints are refused without it
    assert {"STRATA_BLOB_ACCESS_KEY_ID", "STRATA_BLOB_SECRET_ACCESS_KEY"} <= set(env)
    assert "mc ready" in " ".join(services["minio"]["healthcheck"]["test"])
    init = services["minio-init"]
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    assert f"mc mb --ignore-existing strata/{bucket}" in " ".join(init["command"])
    assert "blobs" not in compose()["volumes"] and "minio" in compose()["volumes"]
    for svc in SERVICES:
        assert not services[svc].get("volumes"), f"{svc} mounts a volume"
        assert services[svc]["environment"]["STRATA_BLOB_URL"] == env["STRATA_BLOB_URL"], svc
        condition = services[svc]["depends_on"]["minio-init"]["condition"]
        assert condition == "service_completed_successfully", svc


# ---------------------------------------------------------------- deploy/k8s


@cache
def k8s_docs() -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
        for path in sorted(K8S.glob("*.yaml"))
    }


def _objects(kind: str, *, include_example: bool = False) -> list[dict[str, Any]]:
    return [
        doc
        for name, docs in k8s_docs().items()
        if include_example or name != "secret.example.yaml"
        for doc in docs
        if doc.get("kind") == kind
    ]


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [o for o in _objects(kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return workload["spec"]["template"]["spec"]["containers"]


def _workloads() -> list[dict[str, Any]]:
    return _objects("Deployment") + _objects("Job")


def test_kustomization_lists_every_manifest_and_no_example_secret():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    for resource in resources:
        assert (K8S / resource).is_file(), resource
    assert set(resources) == set(k8s_docs()) - NOT_IN_KUSTOMIZATION
    assert kustomization["namespace"] == "strata"


def test_example_secret_holds_placeholders_only():
    (secret,) = _objects("Secret", include_example=True)
    values = secret["stringData"]
    assert {"STRATA_DATABASE_URL", "STRATA_AMQP_URL", "WORKER_ANTHROPIC_API_KEY"} <= set(values)
    assert "PLACEHOLDER" in values["STRATA_DATABASE_URL"]
    assert "PLACEHOLDER" in values["STRATA_AMQP_URL"]
    assert not values["WORKER_ANTHROPIC_API_KEY"].startswith("sk-ant-")
    assert "EXAMPLE ONLY" in (K8S / "secret.example.yaml").read_text()


def test_k8s_env_vars_are_real_settings():
    (configmap,) = _objects("ConfigMap")
    assert not unknown_env(set(configmap["data"])), sorted(unknown_env(set(configmap["data"])))
    (secret,) = _objects("Secret", include_example=True)
    assert not unknown_env(set(secret["stringData"]))
    for workload in _workloads():
        for container in _containers(workload):
            names = {e["name"] for e in container.get("env", [])}
            assert not unknown_env(names), f"{workload['metadata']['name']}: {unknown_env(names)}"


def test_k8s_references_resolve():
    (configmap,) = _objects("ConfigMap")
    (secret,) = _objects("Secret", include_example=True)
    claims = {o["metadata"]["name"] for o in _objects("PersistentVolumeClaim")}
    for workload in _workloads():
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] == configmap["metadata"]["name"]
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret["metadata"]["name"]
                    assert ref["key"] in secret["stringData"]
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def test_every_workload_has_a_console_script_command_and_resources():
    workloads = _workloads()
    assert workloads
    for workload in workloads:
        for container in _containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert container.get("command"), where
            assert container["command"][0] in console_scripts(), where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_one_deployment_per_service_and_a_migrate_job():
    for svc in SERVICES:
        (container,) = _containers(_one("Deployment", f"strata-{svc}"))
        assert container["command"] == [f"strata-{svc}"]
    (job,) = _objects("Job")
    assert _containers(job)[0]["command"] == ["strata-migrate"]


def test_gateway_is_served_and_probed():
    (configmap,) = _objects("ConfigMap")
    assert configmap["data"]["GATEWAY_HOST"] == "0.0.0.0"
    port = int(configmap["data"]["GATEWAY_PORT"])
    (container,) = _containers(_one("Deployment", "strata-gateway"))
    assert [p["containerPort"] for p in container["ports"]] == [port]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    service = _one("Service", "strata-gateway")
    assert service["spec"]["ports"][0]["port"] == 8000


def ops_port(svc: str) -> int:
    """The port a consumer service serves its probes and metrics on: its settings' default."""
    module = importlib.import_module(f"strata.{svc}.settings")
    (cls,) = [
        obj
        for obj in vars(module).values()
        if _is_settings_class(obj) and obj.__module__ == module.__name__
    ]
    return int(cls.model_fields["http_port"].default)


@pytest.mark.parametrize("svc", [s for s in SERVICES if s != "gateway"])
def test_consumer_services_are_probed_and_scraped_on_their_ops_port(svc):
    port = ops_port(svc)
    (configmap,) = _objects("ConfigMap")
    assert configmap["data"]["STRATA_HTTP_HOST"] == "0.0.0.0"
    assert f"{svc.upper()}_HTTP_PORT" not in configmap["data"]
    deployment = _one("Deployment", f"strata-{svc}")
    (container,) = _containers(deployment)
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"ops": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "ops"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    spec = compose()["services"][svc]
    assert f"127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"])
    assert compose()["x-strata-env"]["STRATA_HTTP_HOST"] == "0.0.0.0"


def test_ops_ports_are_distinct_so_one_machine_runs_every_service():
    ports = [ops_port(s) for s in SERVICES if s != "gateway"]
    assert len(set(ports)) == len(ports) and 8000 not in ports


def test_no_shared_volume_blobs_in_object_storage():
    assert _objects("PersistentVolumeClaim") == []
    (configmap,) = _objects("ConfigMap")
    assert configmap["data"]["STRATA_BLOB_URL"].startswith("s3://")
    assert "STRATA_BLOB_ROOT" not in configmap["data"]
    for workload in _workloads():
        pod = workload["spec"]["template"]["spec"]
        assert not [v for v in pod.get("volumes", []) if "emptyDir" not in v], workload
    for svc in BLOB_SERVICES:
        (container,) = _containers(_one("Deployment", f"strata-{svc}"))
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if e["name"].startswith("STRATA_BLOB_")
        }
        # Both from the Secret, both optional (a pod identity instead of keys).
        assert set(refs) == {"STRATA_BLOB_ACCESS_KEY_ID", "STRATA_BLOB_SECRET_ACCESS_KEY"}, svc
        assert all(ref["optional"] is True and ref["key"] == name for name, ref in refs.items())


def test_conversion_processes_match_its_cpu_limit():
    (container,) = _containers(_one("Deployment", "strata-conversion"))
    processes = {e["name"]: e.get("value") for e in container["env"]}["CONVERSION_PROCESSES"]
    assert int(processes) == int(str(container["resources"]["limits"]["cpu"]))


def test_keda_scales_the_worker_on_its_pack_queue():
    (scaled,) = _objects("ScaledObject")
    worker = _one("Deployment", "strata-worker")
    assert _containers(worker)[0]["command"] == ["strata-worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert "replicas" not in worker["spec"], "KEDA owns the worker's replica count"
    assert scaled["spec"]["minReplicaCount"] >= 1, "the worker also consumes plan-requested"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == routing.PACK_READY.queue
    auth = _one("TriggerAuthentication", trigger["authenticationRef"]["name"])
    (secret,) = _objects("Secret", include_example=True)
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]
    assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} == {"host"}


@pytest.mark.parametrize("name", sorted(p.name for p in K8S.glob("*.yaml")))
def test_every_k8s_document_has_kind_and_name(name):
    docs = k8s_docs()[name]
    assert docs, name
    if name == "kustomization.yaml":
        return
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), name
