"""The ``marketplace`` console commands (a Flask CLI group built by the app factory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

ROOT = Path(__file__).resolve().parent.parent


def _create_app() -> Flask:
    from marketplace import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             help="Technology-transfer marketplace (科技大市场) management commands.")
def main() -> None:
    """Entry point of the ``marketplace`` console script."""


def compile_translations(force: bool = False) -> int:
    """Compile the .po catalogues to .mo (they are built at setup, not committed)."""
    from marketplace.i18n import compile_catalogs

    return compile_catalogs(force=force)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web application (threaded server for the embedded setup; use gunicorn in
    production)."""
    from werkzeug.serving import run_simple

    click.echo(f"Serving on http://{host}:{port}")
    run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
               threaded=True, use_reloader=False, use_debugger=False)


def _worker_argv(queues: str, concurrency: int, beat: bool, loglevel: str) -> list[str]:
    argv = ["worker", "--loglevel", loglevel, "-Q", queues, "--concurrency", str(concurrency),
            "--without-gossip", "--without-mingle", "-n", f"{queues.replace(',', '+')}@%h"]
    if beat:
        argv.append("--beat")
    return argv


@click.command("worker")
@click.option("--queues", "-Q", default="default,search", show_default=True,
              help="Queues to consume; run the 'search' queue in exactly one worker.")
@click.option("--concurrency", "-c", default=1, show_default=True, type=int)
@click.option("--beat", is_flag=True, help="Also run the periodic-job scheduler (one per site).")
@click.option("--loglevel", default="info", show_default=True)
def worker_command(queues: str, concurrency: int, beat: bool, loglevel: str) -> None:
    """Run a Celery worker for the background jobs."""
    from worker.celery_app import celery

    if "search" in queues.split(",") and concurrency != 1:
        raise click.UsageError("the search queue has a single writer: use --concurrency 1, or "
                               "run a separate worker for -Q search")
    celery.worker_main(argv=_worker_argv(queues, concurrency, beat, loglevel))


@click.command("beat")
@click.option("--loglevel", default="info", show_default=True)
def beat_command(loglevel: str) -> None:
    """Run only the periodic-job scheduler (production: exactly one per site)."""
    from worker.celery_app import celery

    celery.start(argv=["beat", "--loglevel", loglevel])


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data into an empty database.")
@with_appcontext
def up_command(host: str, port: int, no_demo: bool) -> None:
    """Set up (translations, database, demo data) and serve web + worker until Ctrl-C."""
    from flask_migrate import upgrade

    from marketplace.seed.demo import database_is_empty, seed_demo

    compile_translations()
    upgrade()
    if not no_demo and database_is_empty():
        click.echo("Loading demo data …")
        credentials = seed_demo()
    else:
        from marketplace.seed.demo import demo_credentials

        credentials = demo_credentials()

    env = dict(os.environ)
    exe = [sys.executable, "-m", "marketplace"]
    workers = [
        # Fixed argument lists of our own executable: nothing user-supplied reaches them.
        subprocess.Popen([*exe, "worker", "-Q", "search", "-c", "1",  # noqa: S603
                          "--loglevel", "warning"], env=env),
        subprocess.Popen([*exe, "worker", "-Q", "default", "-c", "2",  # noqa: S603
                          "--beat", "--loglevel", "warning"], env=env),
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
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
                   threaded=True, use_reloader=False, use_debugger=False)
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
    from babel.messages.frontend import CommandLineInterface

    translations = ROOT / "marketplace" / "translations"
    pot = translations / "messages.pot"
    cli = CommandLineInterface()
    cli.run(["pybabel", "extract", "-F", str(translations / "babel.cfg"), "-k", "_l",
             "-k", "lazy_gettext", "--no-location", "--sort-output", "-o", str(pot), str(ROOT)])
    cli.run(["pybabel", "update", "-i", str(pot), "-d", str(translations), "--no-fuzzy-matching"])
    click.echo("catalogues updated; translate the new entries in zh_CN/LC_MESSAGES/messages.po")


def register_cli(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from marketplace.accounts.commands import users_group
    from marketplace.listings.commands import export_command, import_command
    from marketplace.search.commands import search_group
    from marketplace.seed.commands import seed_group
    from marketplace.stats.commands import stats_group

    for command in (serve_command, worker_command, beat_command, up_command, translations_group,
                    users_group, seed_group, import_command, export_command, search_group,
                    stats_group):
        app.cli.add_command(command)
