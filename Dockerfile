# One image for every Strata process. The command picks the process (docker-compose.yml and
# deploy/k8s set it): strata-gateway, strata-ingest, strata-conversion, strata-worker,
# strata-rollup, strata-export, strata-notify, strata-llm-sim, strata-migrate, the CLI `strata`, or the
# database admin script `strata-admin`.
#
#   docker build -t strata:local .
#   docker run --rm strata:local strata-migrate --help

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: a virtualenv with every package installed (normal, non-editable installs) ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Third-party pins first, in their own layer, so a source change does not reinstall them.
# torch and the test/lint tools are left out: no runtime package needs them.
COPY constraints.txt ./
RUN grep -vE '^[[:space:]]*(#|$)|^(torch|pytest|pytest-asyncio|pytest-timeout|import-linter|ruff)==' \
        constraints.txt > /tmp/runtime-pins.txt \
 && pip install -c constraints.txt -r /tmp/runtime-pins.txt

COPY libs ./libs
COPY services ./services
COPY tools ./tools
# Same package list as the Makefile's PACKAGES (plus the small client); all in one resolve so
# the local `strata-*` dependencies are satisfied by these directories, not by an index.
RUN pip install -c constraints.txt \
        ./libs/contracts ./libs/planning ./libs/runtime ./libs/store ./libs/client ./libs/crypto \
        ./tools/llm-sim \
        ./services/gateway ./services/ingest ./services/conversion \
        ./services/worker ./services/rollup ./services/export ./services/notify \
        ./tools/cli \
 && pip check

# ---- runtime: the virtualenv, a non-root user and the blob volume; no compilers, no sources ----
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    STRATA_BLOB_ROOT=/data/blobs
# Offline OCR for scans and images (conversion): the engine with its packaged eng + osd data.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 strata \
 && useradd --system --uid 10001 --gid strata --create-home --home-dir /home/strata \
        --shell /usr/sbin/nologin strata \
 && mkdir -p /data/blobs \
 && chown strata:strata /data/blobs
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /home/strata
# Uploads and exports. Gateway, ingest, conversion and export must share it (a named volume in
# compose, a ReadWriteMany PVC in Kubernetes); worker and rollup only need the folder to exist.
VOLUME ["/data/blobs"]
# 8000: strata-gateway; 8787: strata-llm-sim.
EXPOSE 8000 8787
# Deliberately no service here: the orchestrator's command chooses the console script.
CMD ["sh", "-c", "echo 'strata image: run one of strata-gateway strata-ingest strata-conversion strata-worker strata-rollup strata-export strata-notify strata-llm-sim strata-migrate strata' >&2; exit 64"]
