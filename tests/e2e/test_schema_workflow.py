"""The schema workflow over the real services: builder round trips, the check, versions
(idempotent saves, 409, fork, diff), the template gallery (every parameter error, instantiate
and run, save as template), preview, compare and evaluate."""

import json
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest

from strata.client import StrataClient, wait_for
from tests.support import infra
from tests.support.api import raised_api_error
from tests.support.stack import BIN, Stack

pytestmark = pytest.mark.e2e

BUILDER = {
    "instructions": "Read invoices line by line.",
    "fields": [
        {"name": "description", "type": "text", "label": "Description", "max_length": 120},
        {"name": "quantity", "type": "number", "instructions": "The first number."},
        {"name": "category", "type": "choice", "options": ["hardware", "services", "shipping"]},
        {"name": "taxable", "type": "boolean", "nullable": False, "keywords": ["VAT"]},
        {"name": "parties", "type": "list", "items": {"type": "text"}, "max_items": 2},
        {
            "name": "meta",
            "type": "group",
            "required": False,
            "fields": [{"name": "when", "type": "date", "description": "the line's date"}],
        },
    ],
}


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Stack:
    done = subprocess.run(
        [str(BIN / "python"), "-m", "strata.gateway.cli", "admin", "seed-templates"],
        env=stack.env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "8 added" in done.stderr
    return stack


@pytest.fixture(scope="module")
def invoice_doc(client: StrataClient, examples: Path) -> tuple[dict, dict]:
    project = client.create_project("schema workflow")
    doc = client.converted(
        client.upload(project["id"], examples / "templates" / "invoice-lines.md")["id"]
    )
    assert doc["status"] == "ready"
    return project, doc


def _complete(client: StrataClient, run_id: str) -> dict:
    return wait_for(
        lambda: client.run(run_id),
        lambda r: r["status"] == "complete",
        timeout_s=90,
        what="run complete",
    )


def test_builder_check_and_versions(client: StrataClient, invoice_doc) -> None:
    project, _ = invoice_doc
    preview = client.builder_schema(BUILDER)
    assert preview["check"]["verdict"] == "pass", preview["check"]
    assert preview["definition"]["properties"]["category"]["enum"][-1] is None

    v1 = client.create_schema(project["id"], {"name": "lines", "builder": BUILDER})
    fields = client.schema_fields(v1["id"], 1)
    assert fields["editable"] and fields["unsupported"] == []
    assert [f["name"] for f in fields["builder"]["fields"]] == [
        f["name"] for f in BUILDER["fields"]
    ]
    again = client.builder_schema(fields["builder"])  # the round trip gives the same schema
    assert (again["definition"], again["prompt_config"]) == (v1["definition"], v1["prompt_config"])

    json_only = client.builder_fields(
        {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}, {}
    )
    assert not json_only["editable"]
    assert json_only["unsupported"] == ["definition.properties.code.pattern"]
    bad = client.check_schema({"definition": {"properties": {"status": {"type": "string"}}}})
    assert bad["verdict"] == "fail" and bad["reasons"][0]["code"] == "reserved_column"

    edit = {**BUILDER, "fields": [*BUILDER["fields"][:3], {"name": "total", "type": "integer"}]}
    key = str(uuid.uuid4())
    v2 = client.save_version(v1["id"], {"builder": edit, "base_version": 1}, idempotency_key=key)
    assert v2["version"] == 2 and v2["parent_id"] == v1["id"]
    assert (
        client.save_version(v1["id"], {"builder": edit, "base_version": 1}, idempotency_key=key)
        == v2
    )
    reused = raised_api_error(
        lambda: client.save_version(
            v1["id"], {"builder": BUILDER, "base_version": 2}, idempotency_key=key
        )
    )
    assert (reused.status, reused.code) == (422, "idempotency_key_reused")
    same = client.save_version(v1["id"], {"builder": edit, "base_version": 2})
    assert same["id"] == v2["id"]  # identical content: nothing new
    stale = raised_api_error(
        lambda: client.save_version(v1["id"], {"builder": BUILDER, "base_version": 1})
    )
    assert (stale.status, stale.code) == (409, "stale_version")
    assert stale.details == {"latest_version": 2, "latest_id": v2["id"]}
    assert [v["version"] for v in list(client.schema_versions(v1["id"]))] == [1, 2]

    diff = client.schema_diff(v1["id"], 1, 2)
    assert {a["field"] for a in diff["added"]} == {"total"}
    assert {r["field"] for r in diff["removed"]} == {"taxable", "parties", "meta", "meta.when"}
    assert diff["changed"] == []
    fork = client.fork_schema(v1["id"], "lines-copy")
    assert (fork["name"], fork["version"], fork["parent_id"]) == ("lines-copy", 1, v1["id"])
    assert fork["definition"] == v1["definition"]


BAD_PARAMETERS = [
    ("invoice-lines", {"categories": []}, "categories", "required"),
    ("invoice-lines", {"currency": "YEN"}, "currency", "not_an_option"),
    ("invoice-lines", {"currency": 3}, "currency", "not_an_option"),
    ("invoice-lines", {"max_description": 10}, "max_description", "below_minimum"),
    ("invoice-lines", {"max_description": 900}, "max_description", "above_maximum"),
    ("invoice-lines", {"max_description": 80.5}, "max_description", "not_an_integer"),
    ("invoice-lines", {"max_description": "80"}, "max_description", "wrong_type"),
    ("invoice-lines", {"categories": "hardware"}, "categories", "wrong_type"),
    ("invoice-lines", {"categories": [f"c{i}" for i in range(31)]}, "categories", "too_many"),
    ("invoice-lines", {"categories": ["a", " "]}, "categories", "empty_item"),
    ("invoice-lines", {"categories": ["a", "A"]}, "categories", "duplicate_item"),
    ("invoice-lines", {"categories": ["x" * 61]}, "categories", "too_long"),
    ("invoice-lines", {"colour": "red"}, "colour", "unknown_parameter"),
    ("product-specs", {"plausible": {"min": 9, "max": 1}}, "plausible", "invalid_range"),
    ("product-specs", {"plausible": [1, 2]}, "plausible", "wrong_type"),
    ("product-specs", {"product": 7}, "product", "wrong_type"),
]


@pytest.mark.parametrize(("slug", "given", "parameter", "code"), BAD_PARAMETERS)
def test_every_parameter_error_is_a_422_naming_it(
    seeded, client: StrataClient, invoice_doc, slug: str, given: dict, parameter: str, code: str
) -> None:
    project, _ = invoice_doc
    error = raised_api_error(
        lambda: client.instantiate_template(slug, project_id=project["id"], parameters=given)
    )
    assert (error.status, error.code) == (422, "invalid_parameters")
    assert error.details == [
        {"parameter": parameter, "code": code, "message": error.details[0]["message"]}
    ]


def test_templates_instantiate_run_and_save_as(
    seeded, stack: Stack, client: StrataClient, invoice_doc
) -> None:
    project, doc = invoice_doc
    gallery = client.templates()
    assert len(gallery) >= 8 and all(t["scope"] == "global" for t in gallery)
    made = client.instantiate_template(
        "invoice-lines",
        project_id=project["id"],
        name="invoice",
        parameters={"currency": "GBP", "include_tax": "no"},
        run_document_ids=[doc["id"]],
    )
    schema, run = made["schema"], made["run"]
    assert schema["template_params"]["currency"] == "GBP" and schema["template_id"]
    assert "GBP" in schema["prompt_config"]["system_instructions"]
    assert "taxable" not in schema["definition"]["properties"]  # an optional field left out
    run = _complete(client, run["id"])
    staged = [o["staged"] for o in client.overlays(run["id"])]
    assert {"description": staged[3]["description"], "quantity": 500, "category": "hardware"} == {
        k: staged[3][k] for k in ("description", "quantity", "category")
    }
    own = client.save_as_template(
        schema["id"],
        {
            "slug": "my-lines",
            "name": "My lines",
            "parameters": [{"name": "kinds", "target": "options", "field": "category"}],
        },
    )
    assert own["scope"] == "account" and own["parameters"][0]["default"] == [
        "hardware",
        "services",
        "shipping",
    ]
    mine = client.instantiate_template(
        "my-lines", project_id=project["id"], parameters={"kinds": ["parts"]}
    )
    assert mine["schema"]["definition"]["properties"]["category"]["enum"] == ["parts", None]
    other = StrataClient(stack.gateway_url, stack.create_account("e2e-other"))
    assert raised_api_error(lambda: other.template("my-lines")).status == 404
    denied = raised_api_error(lambda: other.request("DELETE", "/v1/admin/templates/resume"))
    assert denied.status == 403
    other.close()


async def _review(dsn: str, run_id: str, edits: dict[int, dict | None]) -> None:
    conn = await asyncpg.connect(dsn)
    try:  # the review API is another issue's: write its columns as it would
        for index, confirmed in edits.items():
            await conn.execute(
                "UPDATE overlays SET review_status = $3, confirmed = $4::jsonb"
                " WHERE run_id = $1 AND block_index = $2",
                uuid.UUID(run_id),
                index,
                "edited" if confirmed else "confirmed",
                None if confirmed is None else json.dumps(confirmed),
            )
    finally:
        await conn.close()


def test_preview_compare_and_evaluate(stack: Stack, client: StrataClient, invoice_doc) -> None:
    project, doc = invoice_doc
    v1 = client.create_schema(project["id"], {"name": "evaluated", "builder": BUILDER})
    shown = client.preview(v1["id"], doc["id"], first_blocks=4)
    assert shown["complete"] and shown["run"]["kind"] == "preview"
    assert [b["block_index"] for b in shown["blocks"]] == [0, 1, 2, 3]
    assert shown["blocks"][3]["values"]["quantity"] == 500
    assert float(shown["run"]["usage"]["cost_usd"]) > 0  # a real, billed run
    assert shown["full_run_estimate"]["blocks"] == doc["block_count"]
    too_big = raised_api_error(lambda: client.preview(v1["id"], doc["id"], first_blocks=21))
    assert (too_big.status, too_big.code) == (422, "preview_too_large")

    old_run = _complete(
        client, client.create_run({"schema_id": v1["id"], "document_ids": [doc["id"]]})["id"]
    )
    changed = {
        **BUILDER,
        "fields": [{**BUILDER["fields"][0], "max_length": 10}, *BUILDER["fields"][1:]],
    }
    v2 = client.save_version(v1["id"], {"builder": changed, "base_version": 1})
    new_run = _complete(
        client, client.create_run({"schema_id": v2["id"], "document_ids": [doc["id"]]})["id"]
    )
    compared = client.compare_runs(old_run["id"], new_run["id"])
    assert compared["blocks_compared"] == doc["block_count"]
    assert compared["fields"]["quantity"] == 1.0 and compared["fields"]["description"] < 1.0
    assert {b["block_uid"] for b in compared["differing"]} and all(
        set(b["fields"]) == {"description"} for b in compared["differing"]
    )

    overlays = {o["block_index"]: o["staged"] for o in client.overlays(old_run["id"])}
    corrected = {**overlays[4], "quantity": 13}  # a person fixed one value
    infra.run(_review(stack.database_url, old_run["id"], {3: None, 4: corrected}))
    started = client.evaluate(v2["id"], old_run["id"])
    report = wait_for(
        lambda: client.evaluation(started["run_id"]),
        lambda r: r["complete"],
        timeout_s=60,
        what="evaluation complete",
    )
    assert report["blocks"] == 2
    assert report["old"]["fields"]["quantity"] == {
        "correct": 1,
        "wrong": 1,
        "missing": 0,
        "spurious": 0,
        "accuracy": 0.5,
    }
    assert report["old"]["fields"]["description"]["accuracy"] == 1.0
    assert report["new"]["fields"]["quantity"]["accuracy"] == 0.5
    assert report["new"]["fields"]["description"]["accuracy"] < 1.0  # cut to 10 characters
    assert float(report["new"]["cost_per_block_usd"]) > 0
    nothing = raised_api_error(lambda: client.evaluate(v2["id"], new_run["id"]))
    assert (nothing.status, nothing.code) == (409, "no_confirmed_blocks")
