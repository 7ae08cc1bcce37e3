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
from uuid import uuid4

from strata.client import StrataClient, wait_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FORMATS = ("jsonl", "csv", "xlsx", "md")
TEMPLATE = "meeting-actions"


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


def schema_from_template(client: StrataClient, project_id: str, document_id: str) -> dict[str, Any]:
    """What a user does in the gallery: pick a recipe, fill in its parameters, preview it on a
    few blocks, adjust it in the builder and save that as version 2."""
    made = client.instantiate_template(
        TEMPLATE,
        project_id=project_id,
        name="demo-actions",
        parameters={
            "attendees": ["Maria", "Jonas", "Aiko", "Priya", "Platform team", "SRE"],
            "meeting": "operations reviews and planning meetings",
        },
    )
    first = made["schema"]
    shown = client.preview(first["id"], document_id, first_blocks=5)
    log(
        f"template {TEMPLATE}: preview of {len(shown['blocks'])} blocks,"
        f" whole document estimated at ${shown['full_run_estimate']['cost_usd']}"
    )
    spec = client.schema_fields(first["id"], first["version"])["builder"]
    spec["instructions"] += " Answer null for the owner when no attendee is named."
    body = {"builder": spec, "base_version": first["version"]}
    return client.save_version(first["id"], body, idempotency_key=str(uuid4()))


def _edited(staged: dict[str, Any] | None) -> dict[str, Any]:
    """A reviewer's correction: the block's first text value, rewritten."""
    text_field = next((k for k, v in (staged or {}).items() if isinstance(v, str)), None)
    return {text_field: "Checked by the demo reviewer"} if text_field else {}


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
            values=_edited(edit.get("staged")),
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
    base_url, token = os.environ["STRATA_GATEWAY_URL"], create_account()
    client = StrataClient(base_url, token)
    project = client.create_project(f"demo {time.strftime('%Y-%m-%d %H:%M:%S')}")
    documents = []
    # The sample documents, and a meeting note of the kind the demo's recipe is made for.
    paths = [*sorted((EXAMPLES / "documents").iterdir()), EXAMPLES / "templates" / f"{TEMPLATE}.md"]
    for path in paths:
        doc = client.upload(project["id"], path)
        doc = client.converted(doc["id"])
        log(f"  {path.name}: {doc['status']}, {doc['block_count']} blocks")
        documents.append(doc)
    ready = [d for d in documents if d["status"] == "ready"]
    schema = schema_from_template(client, project["id"], ready[0]["id"])
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
    log(f"web app: {base_url}/app/  (sign in with the token {token})")
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
                "template": TEMPLATE,
                "schema_version": schema["version"],
                "web": f"{base_url}/app/",
            }
        )
    )


if __name__ == "__main__":
    main()
