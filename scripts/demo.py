"""The demo: one account, the sample documents and a meeting note, a schema from the
`meeting-actions` recipe (parameters, a preview, a builder edit saved as version 2), one run, a
review (one edit, one reject, every unflagged block confirmed), and exports in every format at
run and project scope.

Every step is a `strata ...` command run as its own process, exactly what a user would type;
each is printed to stderr before it runs, so the output reads as a transcript to retype. The
demo's login is kept in var/demo/config.json (STRATA_CONFIG), away from the user's own. The
last line printed is a JSON summary. Without ANTHROPIC_API_KEY the model is the local
simulator, and the summary says so.
"""

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("jsonl", "csv", "xlsx", "md")
TEMPLATE = "meeting-actions"
ATTENDEES = ["Maria", "Jonas", "Aiko", "Priya", "Platform team", "SRE"]
CONFIG = ROOT / "var" / "demo" / "config.json"
STRATA = Path(sys.executable).with_name("strata")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _shown(arg: str) -> str:
    """Paths under the repository as a user in its root would type them."""
    path = Path(arg)
    if path.is_absolute() and path.is_relative_to(ROOT):
        arg = str(path.relative_to(ROOT))
    return shlex.quote(arg)


def strata(*args: str, ok: tuple[int, ...] = (0,), into: Path | None = None) -> str:
    """Run `strata ARGS` as a user would (printed first); its stdout, also written to `into`
    when given (`> into`). Progress and notes go straight to stderr. A failure stops the demo
    with the command's own error line."""
    redirect = f" > {_shown(str(into))}" if into else ""
    log("$ strata " + " ".join(_shown(a) for a in args) + redirect)
    env = {**os.environ, "STRATA_CONFIG": str(CONFIG)}
    env.pop("STRATA_TOKEN", None)  # the demo's own login, not a token from the environment
    done = subprocess.run(
        [str(STRATA), *args], env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode not in ok:
        log(f"demo: `strata {args[0]}` exited {done.returncode}")
        sys.exit(done.returncode)
    if into is not None:
        into.write_text(done.stdout)
    return done.stdout


def strata_json(*args: str, ok: tuple[int, ...] = (0,)) -> Any:
    return json.loads(strata(*args, "--json", ok=ok))


def edit_builder(path: Path) -> None:
    """What the user does in an editor between `schemas fields` and `schemas save`."""
    spec = json.loads(path.read_text())
    spec["instructions"] += " Answer null for the owner when no attendee is named."
    path.write_text(json.dumps(spec, indent=2) + "\n")
    log(f"# edited {_shown(str(path))}: one more sentence in its instructions")


def _edited(staged: dict[str, Any] | None) -> str:
    """A reviewer's correction: the block's first text value, rewritten."""
    text_field = next((k for k, v in (staged or {}).items() if isinstance(v, str)), None)
    return json.dumps({text_field: "Checked by the demo reviewer"} if text_field else {})


def review(run_id: str) -> dict[str, Any]:
    """What a reviewer does: edit one block, reject another, confirm every unflagged rest."""
    queue = strata_json("review", "queue", run_id, "--limit", "500")
    unflagged = [b for b in queue if not b["flags"]]
    if len(unflagged) >= 2:
        edit, reject = unflagged[0], unflagged[1]
        strata(
            "review", "edit", run_id, edit["document_id"], str(edit["block_index"]),
            "--revision", str(edit["revision"]), "--values", _edited(edit.get("staged")),
        )  # fmt: skip
        strata(
            "review", "reject", run_id, reject["document_id"], str(reject["block_index"]),
            "--revision", str(reject["revision"]), "--reason", "not a business fact",
        )  # fmt: skip
    strata("review", "bulk", run_id, "confirm")
    return dict(strata_json("review", "status", run_id))


def export(scope: list[str], fmt: str, target: Path) -> str:
    """One export (a run's, or a project's for one schema version), downloaded to `target`."""
    return str(strata_json("export", *scope, "--format", fmt, "-o", str(target))["output"])


def main() -> None:
    simulated = os.environ.get("STRATA_SIMULATED", "1") == "1"
    log("model: local simulator (simulated answers)" if simulated else "model: Anthropic API")
    base_url = os.environ["STRATA_GATEWAY_URL"]
    work = CONFIG.parent
    work.mkdir(parents=True, exist_ok=True)
    log(f"$ export STRATA_CONFIG={_shown(str(CONFIG))}   # the demo's login, not yours")

    token = strata("admin", "create-account", "demo").strip().splitlines()[-1]
    strata("login", "--url", base_url, "--token", token)
    project = strata_json("projects", "create", f"demo {time.strftime('%Y-%m-%d %H:%M:%S')}")
    # The sample documents, and a meeting note of the kind the demo's recipe is made for.
    note = ROOT / "examples" / "templates" / f"{TEMPLATE}.md"
    documents = strata_json(
        "upload", project["id"], str(ROOT / "examples" / "documents"), str(note), ok=(0, 1)
    )
    ready = [d["id"] for d in documents if d["status"] == "ready"]

    # The gallery: a recipe with its parameters, a preview, a builder edit saved as version 2.
    made = strata_json(
        "templates", "use", TEMPLATE, project["id"], "--name", "demo-actions",
        "--param", f"attendees={json.dumps(ATTENDEES)}",
        "--param", "meeting=operations reviews and planning meetings",
    )["schema"]  # fmt: skip
    shown = strata_json("schemas", "preview", made["id"], ready[0], "--first", "5")
    log(
        f"# preview of {len(shown['blocks'])} blocks,"
        f" whole document estimated at ${shown['full_run_estimate']['cost_usd']}"
    )
    builder = work / "builder.json"
    strata("schemas", "fields", made["id"], str(made["version"]), into=builder)
    edit_builder(builder)
    schema = strata_json(
        "schemas", "save", made["id"], "--builder", str(builder),
        "--base-version", str(made["version"]), "--idempotency-key", str(uuid4()),
    )  # fmt: skip

    run_id = strata("run", project["id"], "--schema-id", schema["id"]).strip()  # all ready
    strata("watch", run_id)
    run = strata_json("status", run_id)
    counters = review(run_id)

    out = ROOT / "var" / "exports"
    run_scope = [run_id]
    project_scope = ["--project", project["id"], "--schema", schema["id"]]
    exports = {f: export(run_scope, f, out / f"run-{run_id}.{f}") for f in FORMATS}
    project_exports = {
        f: export(project_scope, f, out / f"project-{project['id']}.{f}") for f in FORMATS
    }
    log(f"exports written to {out}")
    log(f"web app: {base_url}/app/  (sign in with the token {token})")
    print(
        json.dumps(
            {
                "documents": len(documents),
                "blocks": run["total_blocks"],
                "overlays_complete": run["completed_blocks"],
                "overlays_failed": run["failed_blocks"],
                "export": exports["jsonl"],
                "model": "simulated" if simulated else run["policy"]["model"],
                "review": {k: counters[k] for k in ("confirmed", "edited", "rejected", "flagged")},
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
