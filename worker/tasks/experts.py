"""Expert library jobs: the daily standing rule (senior / removed by the organisers' ratings)."""

from __future__ import annotations

from celery import shared_task

from marketplace.experts import services


@shared_task(ignore_result=True, acks_late=True)
def apply_expert_standing() -> int:
    """Promote or remove experts by the ratings of their last two years of reviews.

    Idempotent: an expert already senior or removed is not changed again for the same figures.
    """
    return len(services.apply_standing_rule())
