"""The search index's single writer: drains the ``search`` outbox topic (queue ``search``)."""

from __future__ import annotations

from celery import shared_task
from whoosh.index import LockError

from marketplace.search.index import drain_search_outbox as drain


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=None)
def drain_search_outbox(self) -> int:  # type: ignore[no-untyped-def]
    """Index or remove the listings named by pending ``search`` messages; idempotent."""
    try:
        return drain()
    except LockError as error:
        # Another writer (a reindex's swap) holds the index for longer than we waited.
        raise self.retry(exc=error, countdown=2) from error
