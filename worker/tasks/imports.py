"""Bulk imports started from the web, run in the background with progress on their job."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from marketplace.listings.import_jobs import run_import_job


@shared_task(ignore_result=True, acks_late=True)
def import_listings(job_id: int) -> dict[str, Any]:
    """Run the import job ``job_id`` (the file and options are on the job row)."""
    return run_import_job(job_id)
