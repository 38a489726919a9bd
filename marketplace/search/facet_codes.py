"""A listing's kind and facet values packed into one integer, for the PostgreSQL postings.

Every posting (one word of one published listing, ``search_postings``) carries the listing's
facets, so a search counts them from the postings it has read anyway instead of joining each hit
to another table (that join cost more than the rest of a broad search: docs/performance.md).
Packed as small codes in one ``bigint``, they are one column to carry through the grouping by
listing, and counting is integer arithmetic.

Layout, lowest bits first: the kind (one bit), then each facet's code in a slot wide enough for
its vocabulary (0 is the facet's "none" value: unclassified, unspecified, negotiable, unknown),
then the cooperation modes as one bit each. The codes follow the vocabularies' order, so a change
to a vocabulary changes the projection, and ``search check`` reports every posting to rewrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marketplace.search.schema import PRICE_BANDS
from marketplace.vocab import FIELDS, IP_TYPES, MODES

KINDS = ("achievement", "demand")
PROVINCE_BITS = 7  # the two leading digits of a GB/T 2260 code: 11..82
_PROVINCE = re.compile(r"([1-9][0-9])0000")


@dataclass(frozen=True)
class Slot:
    """One facet's place in the packed integer: codes 1..n are ``values``, 0 is ``none``."""

    facet: str
    none: str
    values: tuple[str, ...]
    shift: int
    bits: int

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1

    def code(self, value: str) -> int | None:
        """The code of a facet value, or None for a value no listing can have."""
        if value == self.none:
            return 0
        if self.facet == "province":
            match = _PROVINCE.fullmatch(value)
            return int(match.group(1)) if match else None
        return self.values.index(value) + 1 if value in self.values else None

    def value(self, code: int) -> str:
        if code == 0:
            return self.none
        if self.facet == "province":
            return f"{code:02d}0000"
        return self.values[code - 1]

    def extract_sql(self, column: str) -> str:
        return f"(({column} >> {self.shift}) & {self.mask})"

    def pack_sql(self, source: str) -> str:
        """The code of the ``listing_search`` column ``source`` (a text facet value), shifted."""
        if self.facet == "province":
            code = (
                f"(CASE WHEN {source} ~ '^[1-9][0-9]0000$' "
                f"THEN CAST(substr({source}, 1, 2) AS int) ELSE 0 END)"
            )
        else:
            values = ", ".join(f"'{v}'" for v in self.values)
            code = f"COALESCE(array_position(ARRAY[{values}], CAST({source} AS text)), 0)"
        return f"(CAST({code} AS bigint) << {self.shift})"


def _slots() -> tuple[Slot, ...]:
    specs = (
        ("field", "unclassified", FIELDS.codes),
        ("maturity_stage", "unclassified", ("research", "lab", "pilot", "industrial")),
        ("ip_type", "unspecified", IP_TYPES.codes),
        ("price_band", "negotiable", tuple(code for code, _ in PRICE_BANDS)),
        ("province", "unknown", ()),
    )
    slots = []
    shift = 1  # bit 0: the kind
    for facet, none, values in specs:
        bits = PROVINCE_BITS if facet == "province" else len(values).bit_length()
        slots.append(Slot(facet, none, tuple(values), shift, bits))
        shift += bits
    return tuple(slots)


SLOTS = _slots()
SLOT = {slot.facet: slot for slot in SLOTS}
MODES_SHIFT = SLOTS[-1].shift + SLOTS[-1].bits
MODE_CODES: tuple[str, ...] = tuple(MODES.codes)
if MODES_SHIFT + len(MODE_CODES) > 63:
    raise RuntimeError("the packed facets outgrew a bigint: widen the postings' column")


def mode_bit(mode: str) -> int | None:
    return 1 << (MODES_SHIFT + MODE_CODES.index(mode)) if mode in MODE_CODES else None


def pack_sql(alias: str) -> str:
    """The packed facets of a ``listing_search`` row (table alias ``alias``), in SQL built from
    this module's constants only."""
    parts = [f"(CASE WHEN {alias}.kind = 'demand' THEN 1 ELSE 0 END)"]
    parts += [slot.pack_sql(f"{alias}.{slot.facet}") for slot in SLOTS]
    parts += [
        f"(CASE WHEN {alias}.modes ? '{mode}' THEN CAST({mode_bit(mode)} AS bigint) ELSE 0 END)"
        for mode in MODE_CODES
    ]
    return "(" + " + ".join(parts) + ")"


def filter_sql(
    column: str,
    kinds: tuple[str, ...],
    filters: tuple[tuple[str, str], ...],
    facet_of: dict[str, str],
    params: dict[str, Any],
    prefix: str = "",
) -> str:
    """Conditions on the packed ``column`` for the kinds asked and the filters (filter name,
    value); ``facet_of`` maps a filter's name to its facet. A value no listing can have gives
    FALSE, as an equality on the text would. Codes reach SQL as bound parameters."""
    clauses = []
    if len(kinds) == 1:
        params[f"{prefix}kind_code"] = KINDS.index(kinds[0])
        clauses.append(f"({column} & 1) = :{prefix}kind_code")
    for i, (name, value) in enumerate(filters):
        key = f"{prefix}c{i}"
        facet = facet_of.get(name)
        if facet == "modes":
            bit = mode_bit(value)
            if bit is None:
                clauses.append("FALSE")
                continue
            params[key] = bit
            clauses.append(f"({column} & :{key}) <> 0")
        elif facet in SLOT:
            code = SLOT[facet].code(value)
            if code is None:
                clauses.append("FALSE")
                continue
            params[key] = code
            clauses.append(f"{SLOT[facet].extract_sql(column)} = :{key}")
    return " AND ".join(clauses) or "TRUE"
