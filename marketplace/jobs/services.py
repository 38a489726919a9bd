"""Create, advance and read job runs; progress is committed on its own short transactions.

Jobs tell the truth: a running job records the process running it and beats every few seconds
from a thread of its own; ``reap_lost_jobs`` (every few seconds from the scheduler, and before
jobs are shown) marks failed a job whose process is gone, and dispatches again a queued job
whose task message was lost. A task only runs a job it can claim from "queued", so a job
dispatched twice runs once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import Engine

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user
from marketplace.database import utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.jobs.models import JobRun

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
# A running job on another machine whose heartbeat is older than this is taken for lost
# (on this machine the process itself is looked up, which needs no wait).
LOST_AFTER = timedelta(seconds=45)
# A queued job not picked up this long after its dispatch is dispatched again.
REDISPATCH_AFTER = timedelta(minutes=2)
LOST_MESSAGE = "interrupted: the worker running this job stopped before it finished"

# Job kind -> Celery task taking ``job_id``, for dispatching (again) a queued job.
JOB_TASKS: dict[str, tuple[str, str]] = {
    "stats.recompute": ("worker.tasks.stats.recompute_stats", "default"),
    "import_listings": ("worker.tasks.imports.import_listings", "default"),
}


class JobNotQueued(Conflict):
    code = "job_not_queued"
    default_message = _l("This job is no longer waiting to run.")


def create_job(
    kind: str, *, params: dict[str, Any] | None = None, started_by_id: int | None = None
) -> JobRun:
    job = JobRun(kind=kind, params=params or {}, started_by_id=started_by_id)
    db.session.add(job)
    db.session.commit()
    return job


def queue_job(
    kind: str, *, params: dict[str, Any] | None = None, started_by_id: int | None = None
) -> tuple[JobRun, bool]:
    """Create a queued job and dispatch its task; returns (job, created).

    For a kind in ``SINGLETON_KINDS`` a job already waiting is returned instead (created=False):
    duplicate requests coalesce into one run. A broker outage fails the job, not the request.
    """
    existing = _queued(kind)
    if existing is not None:
        return existing, False
    try:
        job = create_job(kind, params=params, started_by_id=started_by_id)
    except sa.exc.IntegrityError:  # another request queued one a moment ago
        db.session.rollback()
        existing = _queued(kind)
        if existing is None:
            raise
        return existing, False
    dispatch_job(job)
    return job, True


def queued_or_new_job(kind: str, *, params: dict[str, Any] | None = None) -> JobRun:
    """The job of ``kind`` already waiting, or a new one — for runs started in this process
    (the schedule, the CLI), which then claim it with ``start_job``."""
    existing = _queued(kind)
    if existing is not None:
        return existing
    try:
        return create_job(kind, params=params)
    except sa.exc.IntegrityError:
        db.session.rollback()
        existing = _queued(kind)
        if existing is None:
            raise
        return existing


def _queued(kind: str) -> JobRun | None:
    return db.session.execute(
        sa.select(JobRun)
        .where(JobRun.kind == kind, JobRun.state == "queued")
        .order_by(JobRun.id)
        .limit(1)
    ).scalar_one_or_none()


def dispatch_job(job: JobRun) -> None:
    """Send the job's task (``JOB_TASKS``); failure to reach the broker fails the job."""
    task, queue = JOB_TASKS[job.kind]
    try:
        current_app.extensions["celery"].send_task(task, kwargs={"job_id": job.id}, queue=queue)
    except Exception as error:  # a broker outage is reported on the job, not as a 500
        log.warning("could not queue job %s (%s)", job.id, job.kind, exc_info=True)
        finish_job(job.id, error=f"could not reach the job queue: {type(error).__name__}")
        return
    db.session.execute(sa.update(JobRun).where(JobRun.id == job.id).values(heartbeat_at=utcnow()))
    db.session.commit()


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(job_id: int) -> JobRun:
    """Claim a queued job for this process (JobNotQueued if another run took it, or it was
    given up meanwhile) and start its heartbeat."""
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == job_id, JobRun.state == "queued")
        .values(
            state="running",
            started_at=utcnow(),
            finished_at=None,
            error=None,
            progress=0.0,
            heartbeat_at=utcnow(),
            worker=this_worker(),
        )
    )
    db.session.commit()
    job = db.session.get(JobRun, job_id)
    if job is None:
        raise NotFound()
    if not result.rowcount:  # type: ignore[attr-defined]
        raise JobNotQueued()
    _Heartbeat.launch(db.engine, job_id)
    return job


def report_progress(
    job_id: int, progress: float, message: str = "", rows: int | None = None
) -> None:
    """Record progress (0–1) in its own statement, outside any long work transaction."""
    values: dict[str, Any] = {"progress": max(0.0, min(1.0, progress)), "message": message[:300]}
    if rows is not None:
        values["rows"] = rows
    db.session.execute(sa.update(JobRun).where(JobRun.id == job_id).values(**values))
    db.session.commit()


def finish_job(
    job_id: int,
    *,
    rows: int | None = None,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> JobRun:
    _Heartbeat.halt(job_id)
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


def get_job_for(actor: User, job_id: int) -> JobRun:
    """A job the caller may see: the one who started it, or an admin."""
    user = require_user(actor)
    reap_lost_jobs()
    job = db.session.get(JobRun, job_id)
    if job is None or not (is_admin(user) or job.started_by_id == user.id):
        raise NotFound()
    return job


# -- liveness -------------------------------------------------------------------------------------


def _process_gone(worker: str | None, heartbeat_at: Any, now: Any) -> bool:
    host, _, pid = (worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return heartbeat_at is None or heartbeat_at < now - LOST_AFTER


def reap_lost_jobs(redispatch: bool = False) -> list[int]:
    """Mark failed the running jobs whose process is gone; with ``redispatch``, send again the
    tasks of queued jobs nobody picked up. Returns the ids marked failed."""
    now = utcnow()
    running = db.session.execute(
        sa.select(JobRun.id, JobRun.worker, JobRun.heartbeat_at).where(JobRun.state == "running")
    ).all()
    lost = [row.id for row in running if _process_gone(row.worker, row.heartbeat_at, now)]
    stuck: list[JobRun] = []
    if redispatch:
        stuck = list(
            db.session.execute(
                sa.select(JobRun).where(
                    JobRun.state == "queued",
                    JobRun.kind.in_(JOB_TASKS),
                    sa.or_(
                        JobRun.heartbeat_at.is_(None), JobRun.heartbeat_at < now - REDISPATCH_AFTER
                    ),
                    JobRun.created_at < now - REDISPATCH_AFTER,
                )
            ).scalars()
        )
    db.session.commit()  # end the read: the writes below wait for the lock in a fresh one
    if lost:
        db.session.execute(
            sa.update(JobRun)
            .where(JobRun.id.in_(lost), JobRun.state == "running")
            .values(state="failed", finished_at=now, error=LOST_MESSAGE)
        )
        db.session.commit()
        log.warning("jobs %s: %s", ", ".join(map(str, lost)), LOST_MESSAGE)
    for job in stuck:
        log.info("job %s (%s) still queued; dispatching it again", job.id, job.kind)
        dispatch_job(job)
    return lost


class _Heartbeat(threading.Thread):
    """Beats ``heartbeat_at`` of one running job from its own connection until stopped."""

    running: dict[int, _Heartbeat] = {}
    lock = threading.Lock()

    def __init__(self, engine: Engine, job_id: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.engine = engine
        self.job_id = job_id
        self.stopped = threading.Event()

    @classmethod
    def launch(cls, engine: Engine, job_id: int) -> None:
        beat = cls(engine, job_id)
        with cls.lock:
            previous = cls.running.pop(job_id, None)
            cls.running[job_id] = beat
        if previous is not None:
            previous.stopped.set()
        beat.start()

    @classmethod
    def halt(cls, job_id: int) -> None:
        with cls.lock:
            beat = cls.running.pop(job_id, None)
        if beat is not None:
            beat.stopped.set()

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.update(JobRun)
                        .where(JobRun.id == self.job_id, JobRun.state == "running")
                        .values(heartbeat_at=utcnow())
                    )
            except sa.exc.SQLAlchemyError:
                # Busy (SQLite: the job's own long write holds the lock): beat next time.
                log.debug("heartbeat of job %s skipped", self.job_id)
