"""The demo: one account, the sample documents, the sample schema, one run, a review (one edit,
one reject, every unflagged block confirmed), and exports in every format at run and project
scope.

Drives the running services over HTTP exactly as a user would. The last line printed is a JSON
summary. Without ANTHROPIC_API_KEY the model is the local simulator, and the summary says so.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from strata.client import StrataClient, wait_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FORMATS = ("jsonl", "csv", "xlsx", "md")


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


def review_run(client: StrataClient, run_id: str) -> dict[str, Any]:
    """What a reviewer does: edit one block, reject another, confirm every unflagged rest."""
    unflagged = [b for b in client.review_queue(run_id) if not b["flags"]]
    if len(unflagged) >= 2:
        edit, reject = unflagged[0], unflagged[1]
        client.review(
            run_id,
            edit["document_id"],
            edit["block_index"],
            action="edit",
            revision=edit["revision"],
            values={"summary": "Checked by the demo reviewer"},
        )
        client.review(
            run_id,
            reject["document_id"],
            reject["block_index"],
            action="reject",
            revision=reject["revision"],
            reason="not a business fact",
        )
    bulk = client.bulk_review(run_id, "confirm")
    review = client.run(run_id)["review"]
    log(
        f"review: {bulk['changed']} confirmed in bulk,"
        f" {bulk['skipped_flagged']} flagged left; {review}"
    )
    return dict(review)


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
    review = review_run(client, run["id"])
    out = ROOT / "var" / "exports"
    exports = {
        fmt: str(
            client.export_to(
                client.request_export(run["id"], fmt)["id"], out / f"run-{run['id']}.{fmt}"
            )
        )
        for fmt in FORMATS
    }
    project_exports = {
        fmt: str(
            client.export_to(
                client.request_project_export(project["id"], schema["id"], fmt)["id"],
                out / f"project-{project['id']}.{fmt}",
            )
        )
        for fmt in FORMATS
    }
    target = exports["jsonl"]
    log(f"exports written to {out}")
    print(
        json.dumps(
            {
                "documents": len(documents),
                "blocks": run["total_blocks"],
                "overlays_complete": run["completed_blocks"],
                "overlays_failed": run["failed_blocks"],
                "export": str(target),
                "model": "simulated" if simulated else run["policy"]["model"],
                "review": {k: review[k] for k in ("confirmed", "edited", "rejected", "flagged")},
                "exports": exports,
                "project_exports": project_exports,
            }
        )
    )


if __name__ == "__main__":
    main()
