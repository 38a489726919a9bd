"""Statistics jobs: apply registered/voided contracts to the rollup, and the nightly rebuild."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplace.jobs.services import JobNotQueued
from marketplace.stats import services

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def drain_stats_outbox() -> int:
    """Refresh the rollup cells of every contract queued on the ``stats`` outbox topic.

    Idempotent: each cell is recomputed from the contracts, so a redelivered or duplicated
    message rewrites the same figures.
    """
    return services.drain_updates()


@shared_task(ignore_result=True, acks_late=True)
def recompute_stats(job_id: int | None = None, pause: float = 0.0) -> int:
    """Rebuild the whole rollup in one transaction (nightly, or on an admin's request)."""
    try:
        job = services.run_recompute(
            job_id, trigger="schedule" if job_id is None else "admin", pause=pause
        )
    except JobNotQueued:
        # Dispatched twice, or given up as lost meanwhile: another run has it.
        log.info("recompute job %s is no longer queued; nothing to do", job_id)
        return 0
    return job.rows
