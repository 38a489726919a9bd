"""Vocabularies of matchmaking events (SPEC §6.5)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from marketplace.vocab import Vocabulary

EVENT_TYPES = Vocabulary(
    "event_type",
    [
        ("roadshow", _l("Roadshow (路演)")),
        ("promotion", _l("Promotion meeting (推介会)")),
        ("matchmaking", _l("Matchmaking meeting (对接会)")),
        ("demand_release", _l("Demand release (需求发布会)")),
    ],
)

EVENT_STATUSES = Vocabulary(
    "event_status",
    [
        ("open", _l("Open for sign-up")),
        ("closed", _l("Sign-up closed")),
        ("finished", lazy_pgettext("event", "Finished")),
        ("cancelled", _l("Cancelled")),
    ],
)

SIGNUP_STATUSES = Vocabulary(
    "signup_status",
    [
        ("pending", _l("Awaiting review")),
        ("approved", _l("Approved")),
        ("refused", _l("Refused")),
    ],
)

APPOINTMENT_STATUSES = Vocabulary(
    "appointment_status",
    [
        ("requested", _l("Requested")),
        ("accepted", lazy_pgettext("appointment", "Accepted")),
        ("declined", lazy_pgettext("appointment", "Declined")),
    ],
)

OUTCOME_KINDS = Vocabulary(
    "outcome_kind",
    [
        ("intent", _l("Intent on site (现场意向)")),
        ("follow_up", _l("To follow up (待进一步对接)")),
        ("signed", _l("Signed (已签约)")),
    ],
)
