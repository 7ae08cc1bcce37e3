"""The `strata` command: log in once, then projects, upload, templates, schemas, run, watch,
review, export, webhooks and the admin commands, all over the HTTP API of any gateway. `--json`
on every command; exit codes in `strata.cli.errors.Exit`; an error is one line on stderr."""

import os
import shutil
import subprocess
import sys
from typing import Annotated

import click
import typer

from strata.cli import jobs, review, schemas, webhooks
from strata.cli.api import Api, session
from strata.cli.config import Login, save
from strata.cli.errors import CliError, Exit
from strata.cli.output import JsonOpt, emit_json, err, show

app = typer.Typer(
    name="strata",
    help="Strata from the command line: upload documents, run schemas, watch, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
projects = typer.Typer(help="projects of your account", no_args_is_help=True)
admin = typer.Typer(help="operator commands", no_args_is_help=True)
app.add_typer(projects, name="projects")
app.add_typer(admin, name="admin")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(review.app, name="review")
app.add_typer(schemas.templates, name="templates")
app.add_typer(schemas.schemas, name="schemas")
jobs.register(app)


@app.command()
def login(
    url: Annotated[str, typer.Option(help="the gateway, e.g. https://strata.example.com")],
    token: Annotated[str, typer.Option(help="an API token", envvar="STRATA_TOKEN")],
    as_json: JsonOpt = False,
) -> None:
    """Check the token against the gateway and store both (readable only by you)."""
    candidate = Login(url=url.rstrip("/"), token=token.strip())
    api = Api(candidate)
    try:
        api.get("/projects")
    finally:
        api.close()
    path = save(candidate)
    if as_json:
        emit_json({"url": candidate.url, "config": str(path)})
    else:
        err.print(f"logged in to {candidate.url} (saved in {path})")


@projects.command("list")
def projects_list(as_json: JsonOpt = False) -> None:
    """Your projects."""
    with session() as api:
        rows = api.get("/projects")["items"]
    show(rows, as_json=as_json, columns=("id", "name", "created_at"))


@projects.command("create")
def projects_create(name: str, as_json: JsonOpt = False) -> None:
    """A new project; prints its id."""
    with session() as api:
        project = api.post("/projects", {"name": name})
    if as_json:
        emit_json(project)
    else:
        typer.echo(project["id"])


def _database_admin(*args: str) -> None:
    """Run the gateway package's `strata-admin` script (it needs STRATA_DATABASE_URL, not the
    HTTP API) and exit with its status; its output is passed through."""
    script = shutil.which("strata-admin") or os.path.join(
        os.path.dirname(sys.executable), "strata-admin"
    )
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "strata.gateway.cli"]
    done = subprocess.run([*command, "admin", *args], check=False)  # noqa: S603 - our own script
    raise typer.Exit(done.returncode)


@admin.command("create-account")
def admin_create_account(
    name: str,
    superuser: Annotated[bool, typer.Option(help="may edit the admin policy")] = False,
) -> None:
    """Create an account and print its token (last line). Runs on a host with database access."""
    _database_admin("create-account", name, *(["--superuser"] if superuser else []))


@admin.command("create-project")
def admin_create_project(account_id: str, name: str) -> None:
    """Create a project of an account and print its id: for an integration that works by
    message only (database access)."""
    _database_admin("create-project", account_id, name)


@admin.command("list-accounts")
def admin_list_accounts() -> None:
    """Every account and its live token count (database access)."""
    _database_admin("list-accounts")


@admin.command("list-tokens")
def admin_list_tokens(account_id: str) -> None:
    """An account's tokens, never their secrets (database access)."""
    _database_admin("list-tokens", account_id)


@admin.command("revoke-token")
def admin_revoke_token(token_id: str) -> None:
    """Revoke any token by its id (database access)."""
    _database_admin("revoke-token", token_id)


@admin.command("seed-templates")
def admin_seed_templates(
    update: Annotated[bool, typer.Option(help="also rewrite existing built-ins")] = False,
) -> None:
    """Add the built-in templates to the gallery (database access)."""
    _database_admin("seed-templates", *(["--update"] if update else []))


@admin.command("policy")
def admin_policy(as_json: JsonOpt = False) -> None:
    """The admin policy every run starts from."""
    with session() as api:
        policy = api.get("/admin/policies")
    show(policy, as_json=as_json)


@admin.command("dead-letters")
def admin_dead_letters(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50, as_json: JsonOpt = False
) -> None:
    """Messages a service gave up on, with the reason (superusers)."""
    with session() as api:
        page = api.get("/admin/dead-letters", limit=limit)
    show(page["items"], as_json=as_json, columns=("received_at", "queue", "error_code", "error"))


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except CliError as exc:
        err.print(f"strata: error: {exc.message} ({exc.code})", markup=False)
        sys.exit(int(exc.exit_code))
    except typer.Abort:
        err.print("strata: interrupted", markup=False)
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("strata: interrupted", markup=False)
        sys.exit(130)
    except click.ClickException as exc:  # usage mistakes: typer's own messages
        exc.show()
        sys.exit(int(Exit.USAGE))
    sys.exit(code if isinstance(code, int) else 0)
