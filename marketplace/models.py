"""Imports every model module so metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, LoginSession, Organisation, User
from marketplace.auctions.models import (
    AuctionSuspension,
    Bid,
    Lot,
    LotBidder,
    LotEvent,
    LotSession,
)
from marketplace.contracts.models import (
    Contract,
    ContractHistory,
    ContractLineItem,
    ContractSignedCopy,
    RegistrationCounter,
)
from marketplace.deals.models import Deal, DealEvent
from marketplace.idempotency import IdempotencyKey
from marketplace.instruments.models import Booking, BookingEvent, Instrument
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
from marketplace.registry.models import Bulletin
from marketplace.search.models import ListingMatch, SearchWord
from marketplace.stats.models import StatsCell, StatsContractKey, StatsState, StatsTarget
from marketplace.storage import StoredFile
from marketplace.vouchers.models import (
    Voucher,
    VoucherDocument,
    VoucherEvent,
    VoucherProvider,
    VoucherScheme,
    VoucherTie,
)

__all__ = [
    "Achievement",
    "ApiToken",
    "Attachment",
    "AuctionSuspension",
    "Bid",
    "Bulletin",
    "ChallengeApplication",
    "Contract",
    "ContractHistory",
    "ContractLineItem",
    "ContractSignedCopy",
    "Deal",
    "DealEvent",
    "Demand",
    "IdempotencyKey",
    "JobRun",
    "Listing",
    "ListingEvent",
    "ListingMatch",
    "LoginSession",
    "Lot",
    "LotBidder",
    "LotEvent",
    "LotSession",
    "Notification",
    "Organisation",
    "OutboxMessage",
    "RegistrationCounter",
    "SearchWord",
    "StatsCell",
    "StatsContractKey",
    "StatsState",
    "StatsTarget",
    "User",
]
# Shared instruments and innovation vouchers (SPEC §6.2–6.3).
__all__ += [
    "Booking",
    "BookingEvent",
    "Instrument",
    "Voucher",
    "VoucherDocument",
    "VoucherEvent",
    "VoucherProvider",
    "VoucherScheme",
    "VoucherTie",
]
# Uploaded files, kept in the database so that no host needs a shared disk (SPEC §4).
__all__ += ["StoredFile"]
