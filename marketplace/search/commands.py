"""``marketplace search reindex`` and ``marketplace search check``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("search")
def search_group() -> None:
    """Maintain the search index."""


@search_group.command("reindex")
@click.option("--procs", default=2, show_default=True, type=click.IntRange(min=1),
              help="Indexing processes (more than one writes multiple segments).")
@with_appcontext
def reindex_command(procs: int) -> None:
    """Build a fresh index from the database aside and swap it in atomically."""
    from marketplace.search.index import published_count, reindex

    total = published_count()
    with click.progressbar(length=total, label="Indexing published listings",
                           file=sys.stderr) as bar:
        report = reindex(procs=procs, progress=bar.update)
    click.echo(f"indexed {report['documents']} listings "
               f"({', '.join(f'{k}: {v}' for k, v in report['counts'].items())}) in "
               f"{report['seconds']:.1f} s, {report['docs_per_second']:.0f} docs/s; "
               f"live generation {report['generation']}")


@search_group.command("check")
@with_appcontext
def check_command() -> None:
    """Compare the index with the database; exit 1 listing every difference."""
    from marketplace.search.index import check

    report = check()
    if report.clean:
        click.echo("search index matches the database")
        return
    for line in report.lines():
        click.echo(line)
    click.echo(f"{len(report.lines())} difference(s); run `marketplace search reindex`", err=True)
    sys.exit(1)
