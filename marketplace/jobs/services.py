"""Create, advance and read job runs; progress is committed on its own short transactions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.accounts.permissions import is_admin, require_user
from marketplace.database import utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.jobs.models import JobRun


def create_job(kind: str, *, params: dict[str, Any] | None = None,
               started_by_id: int | None = None) -> JobRun:
    job = JobRun(kind=kind, params=params or {}, started_by_id=started_by_id)
    db.session.add(job)
    db.session.commit()
    return job


def start_job(job_id: int) -> JobRun:
    job = db.session.get(JobRun, job_id)
    if job is None:
        raise NotFound()
    job.state = "running"
    job.started_at = utcnow()
    job.finished_at = None
    job.error = None
    job.progress = 0.0
    db.session.commit()
    return job


def report_progress(job_id: int, progress: float, message: str = "", rows: int | None = None
                    ) -> None:
    """Record progress (0–1) in its own statement, outside any long work transaction."""
    values: dict[str, Any] = {"progress": max(0.0, min(1.0, progress)), "message": message[:300]}
    if rows is not None:
        values["rows"] = rows
    db.session.execute(sa.update(JobRun).where(JobRun.id == job_id).values(**values))
    db.session.commit()


def finish_job(job_id: int, *, rows: int | None = None, result: dict[str, Any] | None = None,
               error: str | None = None) -> JobRun:
    job = db.session.get(JobRun, job_id)
    if job is None:
        raise NotFound()
    job.state = "failed" if error else "succeeded"
    job.error = error
    job.finished_at = utcnow()
    if not error:
        job.progress = 1.0
    if rows is not None:
        job.rows = rows
    if result is not None:
        job.result = result
    db.session.commit()
    return job


def get_job_for(actor: Any, job_id: int) -> JobRun:
    """A job the caller may see: the one who started it, or an admin."""
    user = require_user(actor)
    job = db.session.get(JobRun, job_id)
    if job is None or not (is_admin(user) or job.started_by_id == user.id):
        raise NotFound()
    return job


def recent_jobs(kind: str | None = None, limit: int = 50) -> list[JobRun]:
    query = sa.select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if kind:
        query = query.where(JobRun.kind == kind)
    return list(db.session.execute(query).scalars())
