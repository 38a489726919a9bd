"""Coded vocabularies of SPEC §6.1 (lot modes, rights, states, bidder and deposit states)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

LOT_MODES = Vocabulary(
    "lot_mode",
    [
        ("auction", _l("Online auction")),
        ("listing", _l("Listed transfer")),
    ],
)

LOT_RIGHTS = Vocabulary(
    "lot_rights",
    [
        ("transfer", _l("Transfer of rights")),
        ("license", _l("Licence")),
        ("use", _l("Right of use")),
    ],
)

# ``pending`` is the admin review before the announcement (like listings).
LOT_STATUSES = Vocabulary(
    "lot_status",
    [
        ("draft", _l("Draft")),
        ("pending", _l("Awaiting review")),
        ("announced", _l("Announced")),
        ("registration", _l("Registration open")),
        ("bidding", _l("Bidding")),
        ("sold", _l("Sold")),
        ("unsold", _l("Unsold")),
        ("withdrawn", _l("Withdrawn")),
    ],
)

SESSION_KINDS = Vocabulary(
    "lot_session_kind",
    [
        ("industry", _l("Industry session")),
        ("regional", _l("Regional session")),
        ("joint", _l("Joint session")),
    ],
)

BIDDER_STATUSES = Vocabulary(
    "bidder_status",
    [
        ("pending", _l("Awaiting deposit check")),
        ("approved", _l("Approved")),
        ("rejected", _l("Rejected")),
    ],
)

DEPOSIT_STATUSES = Vocabulary(
    "deposit_status",
    [
        ("none", _l("Not received")),
        ("received", _l("Received")),
        ("released", _l("Released")),
        ("forfeited", _l("Forfeited")),
    ],
)

OPEN_STATUSES = ("announced", "registration", "bidding")
CLOSED_STATUSES = ("sold", "unsold", "withdrawn")
