"""``marketplace import achievements|demands FILE --org NAME`` and ``marketplace export``."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from marketplace.accounts.models import Organisation
from marketplace.accounts.services import get_or_create_organisation
from marketplace.extensions import db
from marketplace.listings.exporting import export_bytes, iter_listings
from marketplace.listings.importing import (
    ImportFileError,
    ImportOptions,
    detect_format,
    iter_report_lines,
    run_import,
)
from marketplace.listings.queries import ListingFilters, filtered

KINDS = {"achievements": "achievement", "demands": "demand"}
DEFAULT_ORG_KIND = {"achievement": "university", "demand": "enterprise"}


def _organisation(name: str, kind: str, org_kind: str | None, create: bool) -> Organisation:
    org = db.session.execute(
        sa.select(Organisation).where(Organisation.name == name)
    ).scalar_one_or_none()
    if org is not None:
        return org
    if not create:
        raise click.UsageError(f"no organisation named {name!r}; pass --create-org to create it")

    org = get_or_create_organisation(name, org_kind or DEFAULT_ORG_KIND[kind])
    db.session.commit()
    click.echo(f"created organisation {name} ({org.kind})", err=True)
    return org


@click.command("import")
@click.argument("what", type=click.Choice(sorted(KINDS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_name", required=True, help="Owner organisation (by name).")
@click.option("--publish", is_flag=True, help="Publish the rows at once instead of drafts.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows even if some are bad (default: all or nothing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "xlsx"]),
    help="File format (default: from the file name).",
)
@click.option(
    "--create-org/--no-create-org",
    default=True,
    show_default=True,
    help="Create the organisation if it does not exist yet.",
)
@click.option(
    "--org-kind",
    type=click.Choice(["university", "institute", "enterprise"]),
    help="Kind of a newly created organisation (default by listing kind).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the row-level report (row, ref, field, message) to this CSV file.",
)
@with_appcontext
def import_command(
    what: str,
    path: Path,
    org_name: str,
    publish: bool,
    dry_run: bool,
    skip_invalid: bool,
    fmt: str | None,
    create_org: bool,
    org_kind: str | None,
    report_path: Path | None,
) -> None:
    """Import achievements or demands from a JSONL, CSV or XLSX file (SPEC §3 import format).

    The same ref from the same organisation updates the existing listing, so re-running a file
    creates no duplicates. Exits with status 1 when rows are bad and nothing was imported.
    """
    kind = KINDS[what]
    org = _organisation(org_name, kind, org_kind, create_org and not dry_run)
    options = ImportOptions(
        kind=kind,
        org_id=org.id,
        publish=publish,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        actor_is_admin=True,
        source_name=path.name,
    )
    try:
        data = path.read_bytes()
        file_format = detect_format(path.name, fmt)
        with click.progressbar(
            length=1, label=f"Checking {path.name}", file=sys.stderr, show_pos=True
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            report = run_import(data, file_format, options, progress=progress)
    except ImportFileError as error:
        message = "; ".join(error.fields.values()) or error.message
        raise click.ClickException(f"{path.name}: {message}") from None
    for line in iter_report_lines(report):
        click.echo(line, err=True)
    if report_path is not None:
        with report_path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "ref", "field", "message"])
            for row_error in report.errors:
                writer.writerow(
                    [row_error.row, row_error.ref or "", row_error.field, row_error.message]
                )
    summary = (
        f"{report.total} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped "
        f"({report.error_count} problems) in {report.seconds:.1f}s"
    )
    if dry_run:
        click.echo(f"dry run, nothing written — would import {summary}")
    elif report.imported:
        click.echo(f"imported {summary}")
    else:
        click.echo(
            f"nothing imported: {report.bad_rows} bad rows (use --skip-invalid to import "
            f"the good rows) — {summary}"
        )
        sys.exit(1)


@click.command("export")
@click.argument("what", type=click.Choice(sorted(KINDS)))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--org", "org_name", help="Only this organisation's listings.")
@click.option(
    "--status",
    type=click.Choice(["draft", "pending", "published", "rejected", "closed", "all"]),
    default="published",
    show_default=True,
)
@click.option("--field", "field_code", help="Only this field code (or 'unclassified').")
@with_appcontext
def export_command(
    what: str, path: Path, org_name: str | None, status: str, field_code: str | None
) -> None:
    """Export listings to PATH (.csv or .xlsx) in the import format."""
    kind = KINDS[what]
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise click.UsageError("PATH must end in .csv or .xlsx")
    org_id = _organisation(org_name, kind, None, False).id if org_name else None
    filters = ListingFilters.from_args(
        {"field": field_code or "", "status": "" if status == "all" else status}
    )
    filters = ListingFilters(**{**filters.__dict__, "org_id": org_id, "sort": "title"})
    listings = list(iter_listings(filtered(kind, filters)))
    path.write_bytes(export_bytes(kind, listings, fmt))
    click.echo(f"exported {len(listings)} {what} to {path}")
