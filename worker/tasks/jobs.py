"""Keep job states true: fail jobs whose worker died, dispatch again queued ones lost."""

from __future__ import annotations

from celery import shared_task

from marketplace.jobs.services import reap_lost_jobs


@shared_task(ignore_result=True)
def reap_jobs() -> list[int]:
    """Mark failed every running job whose process is gone; returns their ids."""
    return reap_lost_jobs(redispatch=True)
