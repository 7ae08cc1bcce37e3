"""What a command prints: JSON on stdout with `--json` (for scripts), else tables and lines for
people. Progress and notes go to stderr, so stdout stays parseable."""

import json
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON on stdout (for scripts)")]
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str = "") -> None:
    view = Table(title=title or None)
    for column in columns:
        view.add_column(column)
    for row in rows:
        view.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    out.print(view)


def show(value: Any, *, as_json: bool, columns: Sequence[str] = (), title: str = "") -> None:
    if as_json:
        emit_json(value)
    elif isinstance(value, list):
        table(value, columns, title=title)
    elif columns:
        for column in columns:
            out.print(f"{column}: {value.get(column)}")
    else:
        out.print(value)
