"""`make bench-cost`: the same schema over the same ≥200-block document, naive (one block per
call, no caching) and with the default policy, side by side on the simulator.

Last line: calls_per_block=<x> cost_vs_naive=<r> cost_vs_floor=<r> mismatches=<n> estimate_error=<f>
output_tokens_vs_compact=<r> deferred_cost_vs_naive=<r> output_tokens_vs_values=<r> answer_form=<form>

- cost_vs_floor: the default run's billed cost over the floor, i.e. the cost if only each block's
  own text were billed as input and only its compact JSON answer as output (the simulator's token
  rule, the same prices): the physical limit of the job.
- estimate_error: |dry-run estimate - billed| / billed for the default run.
- output_tokens_vs_compact: the default run's billed output tokens over the tokens of each
  block's compact JSON answer (every key written): below 1 when the answer form (rows, or sparse
  objects) saves more than the pack's framing costs.
- deferred_cost_vs_naive: the same default run in `mode: deferred` (its packs sent through the
  simulator's Message Batches API, a one-second processing delay, billed at the batch tier) over
  the naive run. `mismatches` counts the blocks whose default or deferred answer differs from
  the naive one.
- output_tokens_vs_values: the same billed output over the tokens of the blocks' values alone
  (each value's compact JSON, no keys, no brackets, no block tags): what is left to save by any
  answer form that still writes the values out; 1 would be framing-free.
- answer_form: how the default run's calls asked for answers (`llm_calls.answer_form`).
"""

import json
import time
import uuid
from decimal import Decimal

import asyncpg
from documents import business_report
from harness import ROOT, infra, log, running_stack

from strata.client import wait_for
from strata.planning.pricing import price_for
from strata.planning.tokens import estimate_tokens

SECTIONS = 24  # ≈ 230 blocks
# Batches end a second after they are made and are looked at every half second.
BATCH_ENV = {
    "LLMSIM_BATCH_PROCESSING_SECONDS": "1",
    "WORKER_BATCH_POLL_S": "0.5",
    "WORKER_BATCH_GATHER_S": "0.5",
}


async def _run_figures(dsn: str, run_id: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        calls = await conn.fetchrow(
            "SELECT count(*) AS calls, coalesce(sum(cost_usd), 0) AS cost,"
            " coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,"
            " coalesce(sum(cache_creation_input_tokens), 0) AS cache_write,"
            " coalesce(sum(cache_read_input_tokens), 0) AS cache_read,"
            " coalesce(string_agg(DISTINCT answer_form, '+'), '') AS answer_form"
            " FROM llm_calls WHERE run_id = $1",
            uuid.UUID(run_id),
        )
        rows = await conn.fetch(
            "SELECT o.document_id, o.block_index, o.staged, b.text FROM overlays o"
            " JOIN blocks b USING (document_id, block_index) WHERE o.run_id = $1",
            uuid.UUID(run_id),
        )
        return {
            **dict(calls),
            "staged": {
                (r["document_id"], r["block_index"]): (r["staged"], r["text"]) for r in rows
            },
        }
    finally:
        await conn.close()


def _compact_output_tokens(staged: dict) -> int:
    return sum(
        estimate_tokens(json.dumps(json.loads(values), separators=(",", ":"), ensure_ascii=False))
        for values, _ in staged.values()
    )


def _values_output_tokens(staged: dict) -> int:
    return sum(
        estimate_tokens(
            "".join(
                json.dumps(value, separators=(",", ":"), ensure_ascii=False)
                for value in json.loads(values).values()
            )
        )
        for values, _ in staged.values()
    )


def _floor(staged: dict, model: str) -> Decimal:
    price = price_for(model)
    total = Decimal(0)
    for values, text in staged.values():
        answer = json.dumps(json.loads(values), separators=(",", ":"), ensure_ascii=False)
        total += estimate_tokens(text) * price.input_per_mtok
        total += estimate_tokens(answer) * price.output_per_mtok
    return total / 1_000_000


def _complete(client, run_id: str) -> dict:
    return wait_for(
        lambda: client.run(run_id),
        lambda r: r["status"] == "complete",
        timeout_s=600,
        every_s=0.5,
        what=f"run {run_id} complete",
    )


def main() -> None:
    schema_body = json.loads((ROOT / "examples" / "schema.json").read_text())
    with running_stack(BATCH_ENV) as (stack, client):
        project = client.create_project("bench-cost")
        path = ROOT / "var" / "bench" / "business-report.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(business_report(SECTIONS))
        doc = client.upload(project["id"], path)
        doc = client.converted(doc["id"])
        schema = client.create_schema(project["id"], schema_body)
        target = {"schema_id": schema["id"], "document_ids": [doc["id"]]}
        naive_overrides = {
            "batching_enabled": False,
            "prompt_caching_enabled": False,
            "sparse_answers": False,
            "row_answers": False,
            "structured_outputs": False,
        }

        estimate = client.create_run({**target, "dry_run": True})
        started = time.monotonic()
        naive = _complete(
            client, client.create_run({**target, "policy_overrides": naive_overrides})["id"]
        )
        naive_s = time.monotonic() - started
        started = time.monotonic()
        default = _complete(client, client.create_run(target)["id"])
        default_s = time.monotonic() - started
        started = time.monotonic()
        deferred = _complete(client, client.create_run({**target, "mode": "deferred"})["id"])
        deferred_s = time.monotonic() - started

        n = infra.run(_run_figures(stack.database_url, naive["id"]))
        d = infra.run(_run_figures(stack.database_url, default["id"]))
        b = infra.run(_run_figures(stack.database_url, deferred["id"]))
    blocks = len(d["staged"])
    mismatches = sum(
        1
        for run in (d, b)
        for key, (values, _) in run["staged"].items()
        if values is None or json.loads(values) != json.loads(n["staged"][key][0] or "null")
    )
    floor = _floor(d["staged"], default["policy"]["model"])
    billed = Decimal(d["cost"])
    estimated = Decimal(str(estimate["cost_usd"]))
    log(
        f"document: {blocks} blocks ({doc['block_count']} converted), model {default['policy']['model']} (simulated)"
    )
    log(
        f"{'run':<9}{'calls':>7}{'input':>9}{'c.write':>9}{'c.read':>9}{'output':>9}{'cost USD':>12}{'secs':>7}"
    )
    runs = (("naive", n, naive_s), ("default", d, default_s), ("deferred", b, deferred_s))
    for name, f, secs in runs:
        log(
            f"{name:<9}{f['calls']:>7}{f['input']:>9}{f['cache_write']:>9}{f['cache_read']:>9}"
            f"{f['output']:>9}{Decimal(f['cost']):>12.6f}{secs:>7.1f}"
        )
    log(f"{'floor':<9}{'':>7}{'':>9}{'':>9}{'':>9}{'':>9}{floor:>12.6f}")
    log(
        f"{'estimate':<9}{estimate['calls']:>7}{estimate['input_tokens']:>9}{estimate['cache_write_tokens']:>9}"
        f"{estimate['cache_read_tokens']:>9}{estimate['output_tokens']:>9}{estimated:>12.6f}"
    )
    print(
        f"calls_per_block={d['calls'] / blocks:.3f} "
        f"cost_vs_naive={billed / Decimal(n['cost']):.3f} "
        f"cost_vs_floor={billed / floor:.3f} "
        f"mismatches={mismatches} "
        f"estimate_error={abs(estimated - billed) / billed:.3f} "
        f"output_tokens_vs_compact={d['output'] / _compact_output_tokens(d['staged']):.3f} "
        f"deferred_cost_vs_naive={Decimal(b['cost']) / Decimal(n['cost']):.3f} "
        f"output_tokens_vs_values={d['output'] / _values_output_tokens(d['staged']):.3f} "
        f"answer_form={d['answer_form']}"
    )


if __name__ == "__main__":
    main()
