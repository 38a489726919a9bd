"""Imports every model module so metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, LoginSession, Organisation, User
from marketplace.contracts.models import (
    Contract,
    ContractHistory,
    ContractLineItem,
    RegistrationCounter,
)
from marketplace.deals.models import Deal, DealEvent
from marketplace.jobs.models import JobRun
from marketplace.listings.models import (
    Achievement,
    Attachment,
    ChallengeApplication,
    Demand,
    Listing,
    ListingEvent,
)
from marketplace.notifications.models import Notification
from marketplace.outbox import OutboxMessage
from marketplace.search.models import ListingMatch
from marketplace.stats.models import StatsCell, StatsContractKey, StatsState, StatsTarget

__all__ = [
    "Achievement", "ApiToken", "Attachment", "ChallengeApplication", "Contract",
    "ContractHistory", "ContractLineItem", "Deal",
    "DealEvent", "Demand", "JobRun", "Listing", "ListingEvent", "ListingMatch", "LoginSession",
    "Notification", "Organisation", "OutboxMessage", "RegistrationCounter", "StatsCell",
    "StatsContractKey", "StatsState", "StatsTarget", "User",
]
