"""Statistics use cases: annual targets, the summary for admins, and the rollup jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace import vocab
from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.services import (
    create_job,
    finish_job,
    queue_job,
    queued_or_new_job,
    reap_lost_jobs,
    report_progress,
    start_job,
)
from marketplace.money import MoneyError, parse_money
from marketplace.outbox import drain, pending_count
from marketplace.stats import rollup
from marketplace.stats.models import StatsTarget
from marketplace.stats.queries import Summary, build_summary

log = logging.getLogger(__name__)

MIN_YEAR, MAX_YEAR = 2000, 2100


def validate_scope(year: Any, region: Any) -> tuple[int, str | None]:
    """A (year, region) pair from user input, or ValidationError naming the bad field."""
    errors: dict[str, str] = {}
    try:
        year_value = int(year) if year not in (None, "") else date.today().year
        if not MIN_YEAR <= year_value <= MAX_YEAR:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _(
            "Enter a year between %(low)s and %(high)s.", low=MIN_YEAR, high=MAX_YEAR
        )
        year_value = 0
    region_value = (str(region).strip() if region is not None else "") or None
    if region_value is not None and not vocab.is_known_region(region_value):
        errors["region"] = _("Choose a region from the list (a six-digit GB/T 2260 code).")
    if errors:
        raise ValidationError(fields=errors)
    return year_value, region_value


def get_summary(actor: User, year: Any, region: Any) -> Summary:
    """The dashboard figures for an admin."""
    require_role(actor, "admin")
    year_value, region_value = validate_scope(year, region)
    return build_summary(year_value, region_value)


# -- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetInput:
    year: Any
    region: str | None
    contract_amount: Any
    contract_count: Any = None
    note: str = ""


def set_target(actor: User, data: TargetInput) -> StatsTarget:
    """Create or replace the target of a year and region (``None`` region = whole platform)."""
    user = require_role(actor, "admin")
    errors: dict[str, str] = {}
    try:
        year, region = validate_scope(data.year, data.region)
    except ValidationError as error:
        errors.update(error.fields)
        year, region = 0, None
    amount: Decimal | None = None
    try:
        amount = parse_money(data.contract_amount, allow_zero=False)
        if amount is None:
            errors["contract_amount"] = _("Enter the target contract amount in yuan.")
    except MoneyError as error:
        errors["contract_amount"] = str(error)
    count: int | None = None
    if data.contract_count not in (None, ""):
        try:
            count = int(str(data.contract_count).strip())
            if count <= 0:
                raise ValueError
        except ValueError:
            errors["contract_count"] = _(
                "Enter a whole number of contracts above zero, or leave it empty."
            )
    note = (data.note or "").strip()
    if len(note) > 200:
        errors["note"] = _("Keep the note under 200 characters.")
    if errors:
        raise ValidationError(fields=errors)
    target = db.session.execute(
        sa.select(StatsTarget).where(StatsTarget.year == year, StatsTarget.region == (region or ""))
    ).scalar_one_or_none()
    if target is None:
        target = StatsTarget(year=year, region=region or "")
        db.session.add(target)
    target.contract_amount = amount  # type: ignore[assignment]
    target.contract_count = count
    target.note = note
    target.updated_by_id = user.id
    db.session.commit()
    return target


def delete_target(actor: User, target_id: int) -> None:
    require_role(actor, "admin")
    target = db.session.get(StatsTarget, target_id)
    if target is None:
        raise NotFound()
    db.session.delete(target)
    db.session.commit()


def list_targets(actor: User) -> list[StatsTarget]:
    require_role(actor, "admin")
    return list(
        db.session.execute(
            sa.select(StatsTarget).order_by(StatsTarget.year.desc(), StatsTarget.region)
        ).scalars()
    )


# -- jobs ---------------------------------------------------------------------------------------


def request_recompute(actor: User) -> JobRun:
    """Queue a full recompute on the worker; the job shows its progress at /api/v1/jobs/<id>.

    A request while one is still waiting joins it (the queued run will read every contract
    anyway) instead of queueing a second one.
    """
    user = require_role(actor, "admin")
    job, _created = queue_job(
        rollup.RECOMPUTE_KIND, params={"trigger": "admin"}, started_by_id=user.id
    )
    return job


def run_recompute(
    job_id: int | None = None,
    *,
    trigger: str = "schedule",
    pause: float = 0.0,
    progress: Callable[[int, int, str], None] | None = None,
) -> JobRun:
    """Rebuild the whole rollup, recorded as a job run (used by the task and the CLI)."""
    if job_id is None:
        # A run already waiting for the worker is done now instead (it would redo this one).
        job_id = queued_or_new_job(rollup.RECOMPUTE_KIND, params={"trigger": trigger}).id
    start_job(job_id)
    # SQLite allows one writer: progress rows would wait for the rebuild's own transaction.
    record = db.engine.dialect.name != "sqlite"

    def on_progress(step: int, steps: int, message: str) -> None:
        # Logged as well: on SQLite the worker's log is the only place the steps show.
        log.info("statistics recompute (job %s), step %d/%d: %s", job_id, step, steps, message)
        if record:
            report_progress(job_id, step / steps, message)
        if progress:
            progress(step, steps, message)

    try:
        cells = rollup.rebuild_all(on_progress, job_id=job_id, pause=pause)
    except Exception as error:
        db.session.rollback()
        finish_job(job_id, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    return finish_job(job_id, rows=cells, result={"cells": cells})


def _apply_message(payload: dict[str, Any], message_id: int) -> None:
    contract_id = payload.get("contract_id") if isinstance(payload, dict) else None
    if not isinstance(contract_id, int):
        raise ValueError(f"stats message {message_id} has no integer contract_id")
    rollup.refresh_contract(contract_id)


def drain_updates() -> int:
    """Apply queued contract changes to the rollup; one job run per drain that had work."""
    if pending_count("stats") == 0:
        db.session.rollback()
        return 0
    job_id = create_job(rollup.REFRESH_KIND, params={"trigger": "outbox"}).id
    start_job(job_id)
    failures: list[str] = []

    def handle(payload: dict[str, Any], message_id: int) -> None:
        try:
            _apply_message(payload, message_id)
        except Exception as error:
            failures.append(f"message {message_id}: {type(error).__name__}: {error}")
            raise

    try:
        # One message per transaction: its cell locks are taken in a fixed order and released
        # at commit, so concurrent drainers can never deadlock across messages.
        handled = drain("stats", handle, batch_size=1)
    except Exception as error:
        db.session.rollback()
        finish_job(job_id, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    failed = "; ".join(failures)[:2000] if failures else None
    finish_job(
        job_id, rows=handled, result={"messages": handled, "failed": len(failures)}, error=failed
    )
    return handled


def recent_runs(actor: User, limit: int = 50) -> list[JobRun]:
    require_role(actor, "admin")
    reap_lost_jobs()  # a run whose worker died reads "failed", not "running"
    return list(
        db.session.execute(
            sa.select(JobRun)
            .where(JobRun.kind.like("stats.%"))
            .order_by(JobRun.id.desc())
            .limit(limit)
        ).scalars()
    )
