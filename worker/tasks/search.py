"""The search index's single writer: drains the ``search`` outbox topic (queue ``search``)."""

from __future__ import annotations

from celery import Task, shared_task
from whoosh.index import LockError

from marketplace.search.backend import database_is_postgresql
from marketplace.search.index import drain_search_outbox as drain
from marketplace.search.vectors import refresh_lexicon


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=None)
def drain_search_outbox(self: Task) -> int:
    """Index or remove the listings named by pending ``search`` messages; idempotent."""
    try:
        return drain()
    except LockError as error:
        # Another writer (a reindex's swap) holds the index for longer than we waited.
        raise self.retry(exc=error, countdown=2) from error


@shared_task(ignore_result=True, acks_late=True)
def refresh_search_lexicon() -> int:
    """PostgreSQL: rebuild the "did you mean" word list from the published listings (hourly)."""
    if not database_is_postgresql():
        return 0
    return refresh_lexicon()
