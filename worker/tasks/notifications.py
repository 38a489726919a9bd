"""Deliver queued notifications to users' notification pages (and e-mail)."""

from __future__ import annotations

from celery import shared_task

from marketplace.notifications.services import deliver
from marketplace.outbox import drain


@shared_task(ignore_result=True, acks_late=True)
def deliver_notifications() -> int:
    """Drain the ``notify`` topic of the outbox; safe to run twice (deliveries are unique)."""
    return drain("notify", lambda payload, message_id: deliver(payload, outbox_id=message_id))
