"""``marketplace stats recompute`` and ``marketplace stats check``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("stats")
def stats_group() -> None:
    """Trading-volume statistics (rollups of registered contracts)."""


@stats_group.command("recompute")
@with_appcontext
def recompute_command() -> None:
    """Rebuild every statistics cell from the contracts, in one transaction."""
    from marketplace.stats.services import run_recompute

    with click.progressbar(length=100, label="Rebuilding statistics",
                           show_percent=True, file=sys.stderr) as bar:
        done = 0

        def advance(step: int, steps: int, message: str) -> None:
            nonlocal done
            target = int(100 * step / steps)
            bar.label = f"Rebuilding statistics: {message}"
            bar.update(target - done)
            done = target

        job = run_recompute(trigger="cli", progress=advance)
    click.echo(f"stats: {job.rows} cells rebuilt in {job.duration_seconds or 0:.2f} s "
               f"(job {job.id})")


@stats_group.command("check")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="Print at most this many differing cells.")
@with_appcontext
def check_command(limit: int) -> None:
    """Compare every rollup cell with a direct SUM over the contracts; exit 1 on drift."""
    from marketplace.outbox import pending_count
    from marketplace.stats.rollup import check_rollup

    differences = check_rollup()
    if not differences:
        click.echo("stats: every cell matches the contracts")
        return
    for difference in differences[:limit]:
        click.echo(difference.describe(), err=True)
    if len(differences) > limit:
        click.echo(f"… and {len(differences) - limit} more", err=True)
    pending = pending_count("stats")
    if pending:
        click.echo(f"note: {pending} contract change(s) are still queued for the statistics "
                   "worker; they may explain some differences", err=True)
    click.echo(f"stats: {len(differences)} cell(s) differ from the contracts; run "
               "'marketplace stats recompute' to rebuild", err=True)
    sys.exit(1)
