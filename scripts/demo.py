"""The demo: one account, the sample documents, the sample schema, one run, one JSONL export.

Drives the running services over HTTP exactly as a user would. The last line printed is a JSON
summary. Without ANTHROPIC_API_KEY the model is the local simulator, and the summary says so.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from strata.client import StrataClient, wait_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def create_account() -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("strata")), "admin", "create-account", "demo"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    simulated = os.environ.get("STRATA_SIMULATED", "1") == "1"
    log("model: local simulator (simulated answers)" if simulated else "model: Anthropic API")
    client = StrataClient(os.environ["STRATA_GATEWAY_URL"], create_account())
    project = client.create_project(f"demo {time.strftime('%Y-%m-%d %H:%M:%S')}")
    documents = []
    for path in sorted((EXAMPLES / "documents").iterdir()):
        doc = client.upload(project["id"], path)
        doc = client.converted(doc["id"])
        log(f"  {path.name}: {doc['status']}, {doc['block_count']} blocks")
        documents.append(doc)
    ready = [d for d in documents if d["status"] == "ready"]
    schema = client.create_schema(project["id"], json.loads((EXAMPLES / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [d["id"] for d in ready]})
    log(f"run {run['id']}: {run['total_blocks']} blocks, model {run['policy']['model']}")
    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=600,
        every_s=0.5,
        what="run complete",
    )
    export = client.request_export(run["id"])
    wait_for(
        lambda: client.export(export["id"]),
        lambda e: e["status"] != "pending",
        timeout_s=120,
        what="export built",
    )
    target = client.download_export(
        export["id"], ROOT / "var" / "exports" / f"run-{run['id']}.jsonl"
    )
    log(f"export written to {target}")
    print(
        json.dumps(
            {
                "documents": len(documents),
                "blocks": run["total_blocks"],
                "overlays_complete": run["completed_blocks"],
                "overlays_failed": run["failed_blocks"],
                "export": str(target),
                "model": "simulated" if simulated else run["policy"]["model"],
            }
        )
    )


if __name__ == "__main__":
    main()
