"""Web imports: check the upload, start a background job, run it with progress (worker side).

The uploaded file waits for the worker in the database (``marketplace.storage``), not on the web
host's disk: the worker that runs the job may be on another host."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from marketplace import storage
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import is_admin, require_user
from marketplace.errors import PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.services import create_job, finish_job, report_progress, start_job
from marketplace.listings.importing import (
    ImportFileError,
    ImportOptions,
    detect_format,
    run_import,
)

JOB_KIND = "import_listings"
TASK_NAME = "worker.tasks.imports.import_listings"
OWNER_KINDS = {"researcher": "achievement", "enterprise": "demand"}
MODES = ("draft", "submit", "publish")
FORMAT_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class WebImport:
    kind: str
    org_id: int | None
    filename: str
    data: bytes
    mode: str = "draft"
    skip_invalid: bool = False
    dry_run: bool = False


def _quick_check(data: bytes, fmt: str) -> None:
    """Refuse a plainly broken file at once, before it is queued."""
    if not data.strip():
        raise ImportFileError(fields={"file": _("The file is empty.")})
    if fmt == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" not in archive.namelist() or archive.testzip() is not None:
                    raise zipfile.BadZipFile
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise ImportFileError(
                fields={"file": _("The file is not a readable XLSX workbook.")}
            ) from None


def start_web_import(actor: User, request: WebImport) -> JobRun:
    """Check who may import what, store the file, queue the job; returns the job to follow.

    Researchers import achievements and enterprise users demands, for their own organisation,
    as drafts or submitted for review; administrators import for any organisation and may
    publish at once.
    """
    user = require_user(actor)
    errors: dict[str, str] = {}
    if is_admin(user):
        if request.kind not in OWNER_KINDS.values():
            errors["kind"] = _("Choose achievements or demands.")
        org = db.session.get(Organisation, request.org_id) if request.org_id else None
        if org is None:
            errors["org_id"] = _("Choose the organisation that owns these listings.")
        org_id = request.org_id
    else:
        allowed = OWNER_KINDS.get(user.role)
        if allowed is None:
            raise PermissionDenied()
        if request.kind != allowed:
            errors["kind"] = _(
                "You can import only your organisation's %(what)s.",
                what=_("achievements") if allowed == "achievement" else _("demands"),
            )
        if request.mode == "publish":
            errors["mode"] = _("Only administrators can publish without review.")
        org_id = user.org_id
    if request.mode not in MODES:
        errors["mode"] = _("Choose what happens after the import.")
    if not request.data:
        errors["file"] = _("Choose a file to upload.")
    if errors:
        raise ValidationError(fields=errors)
    fmt = detect_format(request.filename)
    _quick_check(request.data, fmt)
    # Stored in the same commit as the job that names it.
    stored = storage.put(request.data, FORMAT_TYPES[fmt], fmt)
    job = create_job(
        JOB_KIND,
        started_by_id=user.id,
        params={
            "file": stored,
            "format": fmt,
            "kind": request.kind,
            "org_id": org_id,
            "publish": request.mode == "publish",
            "submit": request.mode == "submit",
            "skip_invalid": request.skip_invalid,
            "dry_run": request.dry_run,
            "actor_id": user.id,
            "actor_is_admin": is_admin(user),
            "source_name": Path(request.filename).name[:200],
        },
    )
    try:
        current_app.extensions["celery"].send_task(TASK_NAME, args=[job.id])
    except Exception as error:  # the broker being down must not lose the upload silently
        current_app.logger.warning("could not queue import job %s", job.id, exc_info=True)
        storage.delete([stored])
        finish_job(job.id, error=_("The background worker could not be reached; try again later."))
        raise ValidationError(
            fields={"file": _("The import could not be started; try again later.")}
        ) from error
    return job


def run_import_job(job_id: int) -> dict[str, Any]:
    """Worker side: run a queued web import, reporting progress on the job."""
    job = start_job(job_id)
    params = dict(job.params)
    stored = params.get("file")
    if not stored:
        # Queued by a release that kept the upload on the web host's disk.
        message = _("The uploaded file is no longer available; upload it again.")
        finish_job(job_id, error=message, result={"file_error": message})
        return {"file_error": message}
    options = ImportOptions(
        kind=params["kind"],
        org_id=params["org_id"],
        publish=params["publish"],
        submit=params["submit"],
        dry_run=params["dry_run"],
        skip_invalid=params["skip_invalid"],
        actor_id=params["actor_id"],
        actor_is_admin=params["actor_is_admin"],
        source_name=params["source_name"],
    )

    def progress(done: int, total: int) -> None:
        report_progress(
            job_id,
            0.9 * done / total,
            _("Checked %(done)d of %(total)d rows", done=done, total=total),
            rows=done,
        )

    try:
        report = run_import(storage.read(str(stored)), params["format"], options, progress=progress)
    except ImportFileError as error:
        message = "; ".join(error.fields.values()) or error.message
        storage.delete([str(stored)])
        finish_job(job_id, error=message, result={"file_error": message})
        return {"file_error": message}
    except Exception as error:
        db.session.rollback()
        finish_job(job_id, error=f"{type(error).__name__}: {error}"[:1000])
        raise
    result = report.as_dict()
    storage.delete([str(stored)])  # committed with the job's outcome below
    if report.imported or report.dry_run:
        finish_job(job_id, rows=report.total, result=result)
    else:
        finish_job(
            job_id,
            rows=report.total,
            result=result,
            error=_("%(bad)d rows have problems, so nothing was imported.", bad=report.bad_rows),
        )
    return result
