"""Imports every model module so metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, LoginSession, Organisation, User
from marketplace.jobs.models import JobRun
from marketplace.notifications.models import Notification
from marketplace.outbox import OutboxMessage

__all__ = ["ApiToken", "JobRun", "LoginSession", "Notification", "Organisation", "OutboxMessage", "User"]
