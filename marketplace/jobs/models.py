"""One row per background job run, for progress bars and the admin's job history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import Model

JOB_STATES = ("queued", "running", "succeeded", "failed")
# Kinds of which at most one job may wait in the queue (a second request joins it).
SINGLETON_KINDS = ("stats.recompute",)
SINGLETON_QUEUED = (
    "state = 'queued' AND kind IN (" + ", ".join(f"'{kind}'" for kind in SINGLETON_KINDS) + ")"
)


class JobRun(Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        sa.CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name="state"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        # Requests for a kind of job that must not pile up coalesce into the queued one.
        sa.Index(
            "uq_job_runs_queued_singleton",
            "kind",
            unique=True,
            sqlite_where=sa.text(SINGLETON_QUEUED),
            postgresql_where=sa.text(SINGLETON_QUEUED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="queued")
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last sign of life: of the process running it (while running), or of its last dispatch
    # (while queued). ``worker`` is "host:pid" of that process.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worker: Mapped[str | None] = mapped_column(sa.String(120))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()
