"""Coded vocabularies of shared instruments (SPEC §6.3) with translated labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

INSTRUMENT_CATEGORIES = Vocabulary(
    "instrument_category",
    [
        ("analysis", _l("Analytical instruments")),
        ("testing", _l("Testing and measurement")),
        ("imaging", _l("Microscopy and imaging")),
        ("processing", _l("Processing and fabrication")),
        ("computing", _l("Computing")),
        ("other", _l("Other instruments")),
    ],
)

FEE_UNITS = Vocabulary(
    "fee_unit",
    [
        ("hour", _l("per hour")),
        ("sample", _l("per sample")),
    ],
)

INSTRUMENT_STATUSES = Vocabulary(
    "instrument_status",
    [
        ("active", _l("Open for booking")),
        ("maintenance", _l("Under maintenance")),
        ("retired", _l("Retired")),
    ],
)

BOOKING_STATUSES = Vocabulary(
    "booking_status",
    [
        ("requested", _l("Requested")),
        ("approved", _l("Approved")),
        ("declined", _l("Declined by the owner")),
        ("cancelled", _l("Cancelled")),
        ("completed", _l("Completed")),
    ],
)

# Fee bands of the library's facet, in yuan per unit: (code, label, low inclusive, high exclusive).
FEE_BANDS = Vocabulary(
    "fee_band",
    [
        ("free", _l("Free")),
        ("under_200", _l("Under CNY 200")),
        ("200_1000", _l("CNY 200–1,000")),
        ("over_1000", _l("CNY 1,000 and more")),
    ],
)
