"""Bulk import of achievements and demands from JSONL, CSV or XLSX (the import format of SPEC §3).

Two phases: every row is read, cleaned by the same rules as the web form and the API, and its
keywords extracted — no writes; then, if no row is bad (or the caller chose to skip bad rows),
all rows are written in one transaction. So a file with a bad row imports nothing by default,
and a crash half-way leaves nothing half-imported. The same ``ref`` from the same organisation
updates the existing listing; unchanged rows are left alone, so re-running is cheap and safe.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingEvent
from marketplace.listings.services import (
    CONTENT_COLUMNS,
    MODELS,
    current_values,
    extract_keywords,
    listing_changed,
)
from marketplace.listings.validation import clean_listing

FORMATS = ("jsonl", "csv", "xlsx")
REF_MAX = 100
LIST_KEYS = ("keywords", "modes", "patent_numbers")
BODY_KEYS = {"achievement": "summary", "demand": "description"}
# Import keys that map onto listing columns; anything else is kept in ``extra``.
COLUMN_KEYS = tuple(name for name in CONTENT_COLUMNS if name != "body")
# Export-only keys, ignored on import so an exported file can be imported again.
EXPORT_ONLY_KEYS = (
    "id",
    "kind",
    "status",
    "org_id",
    "org_name",
    "view_count",
    "published_at",
    "maturity_stage",
    "created_at",
    "updated_at",
    "reject_reason",
)
MAX_ERRORS_KEPT = 1000


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (wrong format, corrupt workbook, no header)."""


@dataclass(frozen=True)
class ImportOptions:
    kind: str
    org_id: int
    publish: bool = False  # rows go public at once (administrators and the CLI operator)
    submit: bool = False  # new rows go to review instead of staying drafts
    dry_run: bool = False
    skip_invalid: bool = False
    actor_id: int | None = None
    actor_is_admin: bool = True
    source_name: str = ""


@dataclass
class RowError:
    row: int
    ref: str | None
    field: str
    message: str


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    imported: bool = False
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(error) for error in self.errors[:MAX_ERRORS_KEPT]]
        data["bad_rows"] = self.bad_rows
        return data


@dataclass
class _Prepared:
    row: int
    ref: str | None
    values: dict[str, Any]
    extra: dict[str, Any]
    keywords_extracted: bool


Progress = Callable[[int, int], None]


# -- reading -------------------------------------------------------------------------------


def detect_format(filename: str, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise ImportFileError(fields={"file": _("Choose JSONL, CSV or XLSX.")})
        return explicit
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise ImportFileError(fields={"file": _("Upload a .jsonl, .csv or .xlsx file.")})


def read_rows(data: bytes, fmt: str) -> list[tuple[int, Any]]:
    """(row number as a person counts it, row object) for every non-empty row."""
    if fmt == "jsonl":
        return _read_jsonl(data)
    if fmt == "csv":
        return _read_csv(data)
    return _read_xlsx(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel in China saves CSV as GB18030/GBK by default.
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(
                fields={"file": _("The file is not UTF-8 or GB18030 text.")}
            ) from None


def _read_jsonl(data: bytes) -> list[tuple[int, Any]]:
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(_decode(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except ValueError:
            rows.append((number, ValueError(_("This line is not valid JSON."))))
    return rows


def _read_csv(data: bytes) -> list[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(fields={"file": _("The file is empty.")}) from None
    except csv.Error:
        raise ImportFileError(fields={"file": _("The file is not valid CSV.")}) from None
    keys = _header(header)
    rows: list[tuple[int, Any]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, _row_dict(keys, cells)))
    except csv.Error as error:
        raise ImportFileError(
            fields={
                "file": _("The file is not valid CSV near line %(line)d.", line=reader.line_num)
            }
        ) from error
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.active
        if sheet is None:
            raise ImportFileError(fields={"file": _("The workbook has no sheet.")})
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            raise ImportFileError(fields={"file": _("The workbook's first sheet is empty.")})
        keys = _header(["" if cell is None else str(cell) for cell in header])
        rows: list[tuple[int, Any]] = []
        for number, cells in enumerate(iterator, start=2):
            if any(cell not in (None, "") for cell in cells):
                rows.append((number, _row_dict(keys, list(cells))))
        workbook.close()
    except ImportFileError:
        raise
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        EOFError,
    ) as error:
        raise ImportFileError(
            fields={"file": _("The file is not a readable XLSX workbook.")}
        ) from error
    return rows


def _header(cells: list[str]) -> list[str]:
    keys = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
    if "title" not in keys:
        raise ImportFileError(
            fields={"file": _("The first row must name the columns, including title.")}
        )
    return keys


def _row_dict(keys: list[str], cells: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, cell in zip(keys, cells, strict=False):
        if not key:
            continue
        if isinstance(cell, str):
            cell = cell.strip()
            # Spreadsheet exports protect formula-like text with a leading apostrophe.
            if cell[:2] in ("'=", "'+", "'-", "'@"):
                cell = cell[1:]
            if key in (*LIST_KEYS, "source_labels") and cell[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):
                    cell = json.loads(cell)
        row[key] = cell
    return row


# -- cleaning ------------------------------------------------------------------------------


def _existing(options: ImportOptions) -> dict[str, dict[str, Any]]:
    rows = db.session.execute(
        sa.select(
            Listing.id,
            Listing.ref,
            Listing.title,
            Listing.body,
            Listing.keywords,
            Listing.keywords_extracted,
        ).where(
            Listing.org_id == options.org_id, Listing.kind == options.kind, Listing.ref.is_not(None)
        )
    ).all()
    return {row.ref: row._asdict() for row in rows}


def _prepare(
    number: int,
    raw: Any,
    options: ImportOptions,
    existing: dict[str, dict[str, Any]],
    seen: dict[str, int],
    report: ImportReport,
) -> _Prepared | None:
    def fail(field_name: str, message: str, ref: str | None = None) -> None:
        report.error_count += 1
        if len(report.errors) < MAX_ERRORS_KEPT:
            report.errors.append(RowError(number, ref, field_name, message))

    if isinstance(raw, Exception):
        fail("_row", str(raw))
        return None
    if not isinstance(raw, dict):
        fail("_row", _("Each row must be an object with the import keys."))
        return None
    kind = options.kind
    ref = raw.get("ref")
    ref = None if ref in (None, "") else str(ref).strip()
    if ref is not None and len(ref) > REF_MAX:
        fail("ref", _("At most %(max)d characters.", max=REF_MAX))
        return None
    if ref is not None and ref in seen:
        fail("ref", _("The same ref already appears on row %(row)d.", row=seen[ref]), ref)
        return None
    if ref is not None:
        seen[ref] = number
    other_body = BODY_KEYS["demand" if kind == "achievement" else "achievement"]
    given = {key: raw[key] for key in COLUMN_KEYS if key in raw}
    body_key = BODY_KEYS[kind]
    if body_key in raw:
        given["body"] = raw[body_key]
    elif other_body in raw:
        given["body"] = raw[other_body]
    if "title" not in given:
        given["title"] = ""
    values, errors = clean_listing(kind, given, check_deadline=False)
    if errors:
        for name, message in errors.items():
            fail(name, message, ref)
        return None
    extra = {
        key: value
        for key, value in raw.items()
        if key not in COLUMN_KEYS
        and key not in BODY_KEYS.values()
        and key != "ref"
        and key not in EXPORT_ONLY_KEYS
        and value not in (None, "")
        and _json_safe(value)
    }
    keywords_extracted = False
    if not values.get("keywords"):
        values.pop("keywords", None)
        known = existing.get(ref) if ref else None
        if known and known["keywords"] and not known["keywords_extracted"]:
            pass  # the owner wrote these keywords by hand: keep them
        elif (
            known
            and known["keywords_extracted"]
            and known["title"] == values["title"]
            and known["body"] == values.get("body", "")
        ):
            values["keywords"] = list(known["keywords"])
            keywords_extracted = True
        else:
            extracted = extract_keywords(values["title"], values.get("body", ""))
            if extracted is not None:
                values["keywords"] = extracted
                keywords_extracted = True
    return _Prepared(number, ref, values, extra, keywords_extracted)


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# -- writing -------------------------------------------------------------------------------


def _target_status(current: str | None, options: ImportOptions) -> str:
    if current is None:
        return "published" if options.publish else "pending" if options.submit else "draft"
    if options.publish and current in ("draft", "pending", "rejected"):
        return "published"
    if current == "published" and not options.publish and not options.actor_is_admin:
        return "pending"  # same policy as an owner's edit of a published listing
    return current


def _write(prepared: list[_Prepared], options: ImportOptions, report: ImportReport) -> None:
    model = MODELS[options.kind]
    refs = [item.ref for item in prepared if item.ref]
    known: dict[str, Listing] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for existing in db.session.execute(
            sa.select(Listing).where(
                Listing.org_id == options.org_id,
                Listing.kind == options.kind,
                Listing.ref.in_(chunk),
            )
        ).scalars():
            known[existing.ref or ""] = existing
    now = utcnow()
    note = _("Imported from %(source)s", source=options.source_name or _("a file"))[:500]
    touched: list[tuple[Listing, str | None, str]] = []
    with db.session.no_autoflush:
        for item in prepared:
            listing = known.get(item.ref) if item.ref else None
            if listing is None:
                listing = model(
                    org_id=options.org_id,
                    owner_id=options.actor_id,
                    ref=item.ref,
                    status=_target_status(None, options),
                    keywords=[],
                    patent_numbers=[],
                    modes=[],
                    body="",
                )
                for name, value in item.values.items():
                    setattr(listing, name, value)
                listing.keywords_extracted = item.keywords_extracted
                listing.extra = item.extra
                if listing.status == "published":
                    listing.published_at = now
                if listing.status == "pending":
                    listing.submitted_at = now
                db.session.add(listing)
                touched.append((listing, None, listing.status))
                report.created += 1
                continue
            before = current_values(listing)
            changes = {
                name: value for name, value in item.values.items() if before.get(name) != value
            }
            extra = {**(listing.extra or {}), **item.extra}
            status = _target_status(listing.status, options)
            if not changes and extra == (listing.extra or {}) and status == listing.status:
                report.unchanged += 1
                continue
            previous = listing.status
            for name, value in changes.items():
                setattr(listing, name, value)
            if "keywords" in changes:
                listing.keywords_extracted = item.keywords_extracted
            listing.extra = extra
            listing.status = status
            if status == "published" and listing.published_at is None:
                listing.published_at = now
            if status == "published":
                listing.reject_reason = None
            touched.append((listing, previous, status))
            report.updated += 1
    db.session.flush()
    for changed, from_status, to_status in touched:
        db.session.add(
            ListingEvent(
                listing_id=changed.id,
                actor_id=options.actor_id,
                from_status=from_status,
                to_status=to_status,
                note=note,
            )
        )
        listing_changed(changed)


def run_import(
    data: bytes, fmt: str, options: ImportOptions, *, progress: Progress | None = None
) -> ImportReport:
    """Import ``data`` (a whole file) for ``options.org_id``; returns the row-level report.

    Nothing is written when any row is bad (unless ``skip_invalid``) or on a dry run.
    Permission checks belong to the caller (the CLI operator, or ``start_web_import``).
    """
    started = time.perf_counter()
    if options.kind not in MODELS:
        raise ImportFileError(fields={"kind": _("Choose achievements or demands.")})
    report = ImportReport(dry_run=options.dry_run)
    rows = read_rows(data, fmt)
    if not rows:
        raise ImportFileError(fields={"file": _("The file has no rows to import.")})
    report.total = len(rows)
    existing = _existing(options)
    seen: dict[str, int] = {}
    prepared: list[_Prepared] = []
    for index, (number, raw) in enumerate(rows, start=1):
        item = _prepare(number, raw, options, existing, seen, report)
        if item is not None:
            prepared.append(item)
        if progress is not None and (index % 50 == 0 or index == len(rows)):
            progress(index, len(rows))
    report.skipped = report.total - len(prepared)
    blocked = report.error_count and not options.skip_invalid
    if blocked or options.dry_run:
        if options.dry_run:
            _count_dry_run(prepared, options, report)
        db.session.rollback()
        report.seconds = round(time.perf_counter() - started, 3)
        return report
    try:
        _write(prepared, options, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.imported = True
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _count_dry_run(prepared: list[_Prepared], options: ImportOptions, report: ImportReport) -> None:
    refs = {item.ref for item in prepared if item.ref}
    existing = {ref for ref in refs if ref in _existing(options)}
    report.updated = sum(1 for item in prepared if item.ref in existing)
    report.created = len(prepared) - report.updated


def iter_report_lines(report: ImportReport, limit: int = 50) -> Iterator[str]:
    """Human-readable lines of a report: the errors first, then the totals."""
    for error in report.errors[:limit]:
        ref = f" [{error.ref}]" if error.ref else ""
        yield f"row {error.row}{ref} {error.field}: {error.message}"
    if report.error_count > limit:
        yield f"… and {report.error_count - limit} more problems"
