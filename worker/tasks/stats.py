"""Statistics jobs: apply registered/voided contracts to the rollup, and the nightly rebuild."""

from __future__ import annotations

from celery import shared_task

from marketplace.stats import services


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
    job = services.run_recompute(job_id, trigger="schedule" if job_id is None else "admin",
                                 pause=pause)
    return job.rows
