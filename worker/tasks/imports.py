"""Bulk imports started from the web, run in the background with progress on their job."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from marketplace.jobs.services import JobNotQueued
from marketplace.listings.import_jobs import run_import_job

log = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def import_listings(job_id: int) -> dict[str, Any]:
    """Run the import job ``job_id`` (the file and options are on the job row)."""
    try:
        return run_import_job(job_id)
    except JobNotQueued:
        log.info("import job %s is no longer queued; nothing to do", job_id)
        return {}
