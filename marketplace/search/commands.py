"""``marketplace search reindex`` and ``marketplace search check``.

What they cover: the PostgreSQL search columns whenever the database is PostgreSQL, and the
Whoosh index files when Whoosh serves the searches (or ``--files``: the search-queue worker's
index that matching reads).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from marketplace.search.backend import database_is_postgresql, search_backend
from marketplace.search.index import check, published_count, reindex
from marketplace.search.vectors import check_vectors, reindex_vectors, vector_rows_count


@click.group("search")
def search_group() -> None:
    """Maintain the search index."""


def _files_wanted(files: bool | None) -> bool:
    return search_backend() == "whoosh" if files is None else files


@search_group.command("reindex")
@click.option(
    "--procs",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Indexing processes (more than one writes multiple segments).",
)
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows per transaction when recomputing the PostgreSQL search columns.",
)
@click.option(
    "--files/--no-files",
    default=None,
    help="Also (or not) rebuild the Whoosh index files (default: when Whoosh serves "
    "searches; matching's index lives with the search-queue worker).",
)
@with_appcontext
def reindex_command(procs: int, batch_size: int, files: bool | None) -> None:
    """Recompute the PostgreSQL search columns (in batches) and/or build a fresh Whoosh index
    aside and swap it in atomically."""
    if database_is_postgresql():
        with click.progressbar(
            length=vector_rows_count(), label="Search columns", file=sys.stderr
        ) as bar:
            report = reindex_vectors(batch_size=batch_size, progress=bar.update)
        click.echo(
            f"recomputed the search columns of {report['documents']} listings in "
            f"{report['seconds']:.1f} s, {report['docs_per_second']:.0f} rows/s; "
            f"{report['words']} words in the suggestion lexicon"
        )
    if not _files_wanted(files):
        return
    total = published_count()
    with click.progressbar(
        length=total, label="Indexing published listings", file=sys.stderr
    ) as bar:
        report = reindex(procs=procs, progress=bar.update)
    click.echo(
        f"indexed {report['documents']} listings "
        f"({', '.join(f'{k}: {v}' for k, v in report['counts'].items())}) in "
        f"{report['seconds']:.1f} s, {report['docs_per_second']:.0f} docs/s; "
        f"live generation {report['generation']}"
    )


@search_group.command("check")
@click.option(
    "--files/--no-files",
    default=None,
    help="Also (or not) compare the Whoosh index files (default: when Whoosh serves searches).",
)
@with_appcontext
def check_command(files: bool | None) -> None:
    """Compare what search sees with the database; exit 1 listing every difference."""
    lines: list[str] = []
    if database_is_postgresql():
        lines += [f"{line} (search columns)" for line in check_vectors().lines()]
    if _files_wanted(files):
        lines += [f"{line} (index files)" for line in check().lines()]
    if not lines:
        click.echo("search matches the database")
        return
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} difference(s); run `marketplace search reindex`", err=True)
    sys.exit(1)
