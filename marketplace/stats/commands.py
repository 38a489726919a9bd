"""``marketplace stats recompute`` and ``marketplace stats check``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from marketplace.outbox import pending_count
from marketplace.stats.rollup import check_rollup, month_figures
from marketplace.stats.services import run_recompute
from marketplace.vouchers.stats import check_vouchers


@click.group("stats")
def stats_group() -> None:
    """Trading-volume statistics (rollups of registered contracts)."""


@stats_group.command("recompute")
@with_appcontext
def recompute_command() -> None:
    """Rebuild every statistics cell from the contracts, in one transaction."""
    with click.progressbar(
        length=100, label="Rebuilding statistics", show_percent=True, file=sys.stderr
    ) as bar:
        done = 0

        def advance(step: int, steps: int, message: str) -> None:
            nonlocal done
            target = int(100 * step / steps)
            bar.label = f"Rebuilding statistics: {message}"
            bar.update(target - done)
            done = target

        job = run_recompute(trigger="cli", progress=advance)
    click.echo(
        f"stats: {job.rows} cells rebuilt in {job.duration_seconds or 0:.2f} s (job {job.id})"
    )


@stats_group.command("check")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="Print at most this many differing cells.",
)
@click.option(
    "--month",
    "month",
    default=None,
    metavar="YYYY-MM",
    help="Also print that month's figures, summed from the contracts themselves.",
)
@with_appcontext
def check_command(limit: int, month: str | None) -> None:
    """Compare every rollup cell with a direct SUM over the contracts; exit 1 on drift."""
    period = _parse_month(month) if month else None
    voucher_differences = check_vouchers()
    for voucher_difference in voucher_differences[:limit]:
        click.echo(voucher_difference.describe(), err=True)
    differences = check_rollup()
    if period is not None:
        for line in month_figures(*period):
            click.echo(line)
    if not differences and not voucher_differences:
        click.echo("stats: every cell matches the contracts; voucher figures match the vouchers")
        return
    if not differences:
        click.echo(
            f"stats: {len(voucher_differences)} voucher figure(s) differ from the vouchers",
            err=True,
        )
        sys.exit(1)
    for difference in differences[:limit]:
        click.echo(difference.describe(), err=True)
    if len(differences) > limit:
        click.echo(f"… and {len(differences) - limit} more", err=True)
    pending = pending_count("stats")
    if pending:
        click.echo(
            f"note: {pending} contract change(s) are still queued for the statistics "
            "worker; they may explain some differences",
            err=True,
        )
    click.echo(
        f"stats: {len(differences)} cell(s) differ from the contracts; run "
        "'marketplace stats recompute' to rebuild",
        err=True,
    )
    sys.exit(1)


def _parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        if not (1985 <= year <= 2200 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-03", param_hint="--month") from None
    return year, month
