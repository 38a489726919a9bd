"""The ``marketplace`` console commands (a Flask CLI group built by the app factory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from marketplace import create_app
from marketplace.accounts.commands import users_group
from marketplace.database import is_busy_error, set_busy_timeout
from marketplace.i18n import compile_catalogs, extract_keyword_options
from marketplace.listings.commands import export_command, import_command
from marketplace.search.commands import search_group
from marketplace.seed.commands import seed_group
from marketplace.seed.demo import database_is_empty, demo_credentials, seed_demo
from marketplace.stats.commands import stats_group

ROOT = Path(__file__).resolve().parent.parent


def _create_app() -> Flask:
    return create_app()


SERVER_COMMANDS = frozenset({"serve", "up", "worker", "beat"})
# Commands that work without an application (and so without compiled catalogues).
APPLESS_COMMANDS = frozenset({"translations"})


class MarketplaceGroup(FlaskGroup):
    """The CLI group: a database that stays busy ends a command with one clear line."""

    def invoke(self, ctx: click.Context) -> object:
        # Maintenance commands run beside a live site: they wait longer for the database's
        # write lock than a web request (SQLITE_BUSY_TIMEOUT), then give up with one line.
        timeout = None
        command = ctx.protected_args[0] if ctx.protected_args else None
        if command == "up":
            # `up` is the one-command setup: it brings stale or missing catalogues up to date
            # before the application (which only checks for them) is created.
            compile_translations()
        if command is not None and command not in SERVER_COMMANDS | APPLESS_COMMANDS:
            timeout = float(ctx.ensure_object(ScriptInfo).load_app().config["CLI_BUSY_TIMEOUT"])
            set_busy_timeout(timeout)
        try:
            return super().invoke(ctx)
        except sa.exc.OperationalError as error:
            if not is_busy_error(error):
                raise
            # The command's transaction rolled back: nothing was half-written.
            waited = f" for more than {timeout:.0f} s" if timeout else ""
            raise click.ClickException(
                f"the database stayed busy{waited} (another process is writing); nothing was "
                "changed — try again later"
            ) from None


@click.group(
    cls=MarketplaceGroup,
    create_app=_create_app,
    add_default_commands=False,
    help="Technology-transfer marketplace (科技大市场) management commands.",
)
def main() -> None:
    """Entry point of the ``marketplace`` console script."""


def compile_translations(force: bool = False) -> int:
    """Compile the .po catalogues to .mo (built at installation and by `up`, not committed)."""
    return compile_catalogs(force=force)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web application (threaded server for the embedded setup; use gunicorn in
    production)."""
    click.echo(f"Serving on http://{host}:{port}")
    run_simple(
        host,
        port,
        current_app._get_current_object(),  # type: ignore[attr-defined]
        threaded=True,
        use_reloader=False,
        use_debugger=False,
    )


# The worker is its own program, ``worker.celery_app`` (it builds the Flask app it runs in): the
# commands hand over to Celery's command line naming that module, rather than importing it here,
# because the factory registers these commands and ``worker.celery_app`` calls the factory.
CELERY = [sys.executable, "-m", "celery", "--app", "worker.celery_app"]


def _run_celery(argv: list[str]) -> None:
    """Replace this process with Celery's (same pid, so signals reach the worker directly)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [*CELERY, *argv])  # noqa: S606 (fixed argv of our own interpreter)


def _worker_argv(queues: str, concurrency: int, beat: bool, loglevel: str) -> list[str]:
    argv = [
        "worker",
        "--loglevel",
        loglevel,
        "-Q",
        queues,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{queues.replace(',', '+')}@%h",
    ]
    if beat:
        argv.append("--beat")
    return argv


@click.command("worker")
@click.option(
    "--queues",
    "-Q",
    default="default,search",
    show_default=True,
    help="Queues to consume; run the 'search' queue in exactly one worker.",
)
@click.option("--concurrency", "-c", default=1, show_default=True, type=int)
@click.option("--beat", is_flag=True, help="Also run the periodic-job scheduler (one per site).")
@click.option("--loglevel", default="info", show_default=True)
def worker_command(queues: str, concurrency: int, beat: bool, loglevel: str) -> None:
    """Run a Celery worker for the background jobs."""
    if "search" in queues.split(",") and concurrency != 1:
        raise click.UsageError(
            "the search queue has a single writer: use --concurrency 1, or "
            "run a separate worker for -Q search"
        )
    _run_celery(_worker_argv(queues, concurrency, beat, loglevel))


@click.command("beat")
@click.option("--loglevel", default="info", show_default=True)
def beat_command(loglevel: str) -> None:
    """Run only the periodic-job scheduler (production: exactly one per site)."""
    _run_celery(["beat", "--loglevel", loglevel])


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data into an empty database.")
@with_appcontext
def up_command(host: str, port: int, no_demo: bool) -> None:
    """Set up (translations, database, demo data) and serve web + worker until Ctrl-C."""
    upgrade()
    if not no_demo and database_is_empty():
        click.echo("Loading demo data …")
        credentials = seed_demo()
    else:
        credentials = demo_credentials()

    env = dict(os.environ)
    exe = [sys.executable, "-m", "marketplace"]
    search_worker = [*exe, "worker", "-Q", "search", "-c", "1", "--loglevel", "warning"]
    default_worker = [*exe, "worker", "-Q", "default", "-c", "2", "--beat", "--loglevel", "warning"]
    workers = [
        # Fixed argument lists of our own executable: nothing user-supplied reaches them.
        subprocess.Popen(search_worker, env=env),  # noqa: S603
        subprocess.Popen(default_worker, env=env),  # noqa: S603
    ]

    def stop_workers(*_args: object) -> None:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in workers:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    def on_terminate(*_args: object) -> None:
        stop_workers()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_terminate)
    click.echo("")
    click.echo(f"科技大市场 is running at http://{host}:{port}")
    if credentials:
        click.echo(f"Demo sign-ins (password for all: {credentials[0][2]}):")
        for role, email, _password in credentials:
            click.echo(f"  {role:<11} {email}")
    click.echo("Press Ctrl-C to stop.")
    try:
        run_simple(
            host,
            port,
            current_app._get_current_object(),  # type: ignore[attr-defined]
            threaded=True,
            use_reloader=False,
            use_debugger=False,
        )
    finally:
        stop_workers()


@click.group("translations")
def translations_group() -> None:
    """Build the interface translations."""


@translations_group.command("compile")
def translations_compile() -> None:
    """Compile the zh_CN and en catalogues."""
    count = compile_translations(force=True)
    click.echo(f"{count} catalogues compiled")


@translations_group.command("update")
def translations_update() -> None:
    """Extract every translatable string and merge it into the catalogues."""
    translations = ROOT / "marketplace" / "translations"
    pot = translations / "messages.pot"
    cli = CommandLineInterface()
    cli.run(
        [
            "pybabel",
            "extract",
            "-F",
            str(translations / "babel.cfg"),
            *extract_keyword_options(),
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    cli.run(["pybabel", "update", "-i", str(pot), "-d", str(translations), "--no-fuzzy-matching"])
    click.echo("catalogues updated; translate the new entries in zh_CN/LC_MESSAGES/messages.po")


# On the group itself, not the app's CLI: compiling must work before an app can be created.
main.add_command(translations_group)


def register_cli(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    for command in (
        serve_command,
        worker_command,
        beat_command,
        up_command,
        users_group,
        seed_group,
        import_command,
        export_command,
        search_group,
        stats_group,
    ):
        app.cli.add_command(command)
