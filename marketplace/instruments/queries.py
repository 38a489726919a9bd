"""Read side of instruments: the library with facet counts, bookings lists, utilisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.database import Money
from marketplace.extensions import db
from marketplace.instruments.models import Booking, BookingEvent, Instrument
from marketplace.instruments.vocab import FEE_BANDS, INSTRUMENT_CATEGORIES
from marketplace.vocab import province_of, region_name

# Fee bands in yuan: [low, high); None = unbounded.
FEE_BAND_BOUNDS: dict[str, tuple[Decimal, Decimal | None]] = {
    "free": (Decimal(0), Decimal("0.01")),
    "under_200": (Decimal("0.01"), Decimal(200)),
    "200_1000": (Decimal(200), Decimal(1000)),
    "over_1000": (Decimal(1000), None),
}


@dataclass(frozen=True)
class LibraryFilters:
    q: str | None = None
    category: str | None = None
    region: str | None = None  # a province code covers its cities
    org_id: int | None = None
    fee_band: str | None = None
    include_inactive: bool = False


@dataclass
class Facet:
    code: str
    label: str
    count: int


@dataclass
class Library:
    query: sa.Select
    facets: dict[str, list[Facet]] = field(default_factory=dict)


def money_sum(column: Any) -> Any:
    """SUM of a Money column, exact: the integer fen are summed and the Money type turns the
    total back into yuan (0.00 when there are no rows)."""
    return sa.type_coerce(
        sa.func.coalesce(sa.func.sum(sa.type_coerce(column, sa.BigInteger)), 0), Money()
    )


def _fee_condition(band: str) -> Any:
    low, high = FEE_BAND_BOUNDS[band]
    condition = Instrument.fee >= low
    if high is not None:
        condition = sa.and_(condition, Instrument.fee < high)
    return condition


def _region_condition(code: str) -> Any:
    if province_of(code) == code:
        return Organisation.region.like(code[:2] + "%")
    return Organisation.region == code


def _conditions(filters: LibraryFilters, skip: str | None = None) -> list[Any]:
    conditions: list[Any] = []
    if not filters.include_inactive:
        conditions.append(Instrument.status != "retired")
    if filters.q:
        pattern = (
            "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            sa.or_(
                Instrument.name.ilike(pattern, escape="\\"),
                Instrument.model_no.ilike(pattern, escape="\\"),
                Instrument.specification.ilike(pattern, escape="\\"),
                Organisation.name.ilike(pattern, escape="\\"),
            )
        )
    if filters.category and skip != "category":
        conditions.append(Instrument.category == filters.category)
    if filters.region and skip != "region":
        conditions.append(_region_condition(filters.region))
    if filters.org_id and skip != "org":
        conditions.append(Instrument.org_id == filters.org_id)
    if filters.fee_band in FEE_BAND_BOUNDS and skip != "fee":
        conditions.append(_fee_condition(str(filters.fee_band)))
    return conditions


def _base() -> sa.Select:
    return sa.select(Instrument).join(Organisation, Organisation.id == Instrument.org_id)


def library(filters: LibraryFilters, *, with_facets: bool = True) -> Library:
    """The instruments matching ``filters`` (newest first) and, per facet, the counts each
    value would give with the other filters kept (the usual faceted-search behaviour)."""
    query = _base().where(*_conditions(filters)).order_by(Instrument.id.desc())
    result = Library(query=query)
    if not with_facets:
        return result

    def counts(column: Any, skip: str) -> list[tuple[Any, int]]:
        rows = db.session.execute(
            sa.select(column, sa.func.count(Instrument.id))
            .select_from(Instrument)
            .join(Organisation, Organisation.id == Instrument.org_id)
            .where(*_conditions(filters, skip))
            .group_by(column)
            .order_by(column)
        )
        return [(value, int(count)) for value, count in rows]

    result.facets["category"] = [
        Facet(code, INSTRUMENT_CATEGORIES.label(code), count)
        for code, count in counts(Instrument.category, "category")
    ]
    province = sa.func.substr(Organisation.region, 1, 2)
    result.facets["region"] = [
        Facet(f"{prefix}0000", region_name(f"{prefix}0000"), count)
        for prefix, count in counts(province, "region")
        if prefix
    ]
    org_rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, sa.func.count(Instrument.id))
        .select_from(Instrument)
        .join(Organisation, Organisation.id == Instrument.org_id)
        .where(*_conditions(filters, "org"))
        .group_by(Organisation.id, Organisation.name)
        .order_by(sa.func.count(Instrument.id).desc(), Organisation.name)
        .limit(20)
    )
    result.facets["org"] = [
        Facet(str(org_id), name, int(count)) for org_id, name, count in org_rows
    ]
    band = sa.case(*((_fee_condition(code), code) for code in FEE_BAND_BOUNDS), else_=None)
    by_band = dict(counts(band, "fee"))
    result.facets["fee"] = [
        Facet(term.code, str(term.label), by_band.get(term.code, 0))
        for term in FEE_BANDS
        if by_band.get(term.code)
    ]
    return result


def instruments_of(org_id: int) -> list[Instrument]:
    return list(
        db.session.execute(
            sa.select(Instrument).where(Instrument.org_id == org_id).order_by(Instrument.name)
        ).scalars()
    )


def bookings_of_instrument(
    instrument_id: int, statuses: tuple[str, ...] | None = None
) -> list[Booking]:
    query = sa.select(Booking).where(Booking.instrument_id == instrument_id)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    return list(db.session.execute(query.order_by(Booking.starts_at.desc())).scalars())


def bookings_query(user: User, *, role: str = "requester", status: str | None = None) -> sa.Select:
    """Bookings the caller's organisation made (``requester``) or received (``owner``);
    ``all`` adds no organisation filter (the caller has checked the permission)."""
    query = sa.select(Booking).join(Instrument, Instrument.id == Booking.instrument_id)
    if role == "owner":
        query = query.where(Instrument.org_id == user.org_id)
    elif role == "requester":
        query = query.where(Booking.requester_org_id == user.org_id)
    if status:
        query = query.where(Booking.status == status)
    return query.order_by(Booking.starts_at.desc(), Booking.id.desc())


def booking_events(booking_id: int) -> list[BookingEvent]:
    return list(
        db.session.execute(
            sa.select(BookingEvent)
            .where(BookingEvent.booking_id == booking_id)
            .order_by(BookingEvent.id)
        ).scalars()
    )


@dataclass
class Utilisation:
    instrument_id: int | None
    name: str
    bookings: int
    hours: Decimal
    outside_hours: Decimal
    fees: Decimal
    voucher_fees: Decimal

    @property
    def outside_share(self) -> Decimal | None:
        if not self.hours:
            return None
        return (self.outside_hours / self.hours).quantize(Decimal("0.0001"))


def utilisation(org_id: int, year: int | None = None) -> tuple[list[Utilisation], Utilisation]:
    """Per instrument of ``org_id`` and in total: completed bookings, hours used, the hours
    used by other organisations, fees and the part of the fees paid by vouchers."""
    outside = sa.case(
        (Booking.requester_org_id != Instrument.org_id, Booking.used_minutes), else_=0
    )
    query = (
        sa.select(
            Instrument.id,
            Instrument.name,
            sa.func.count(Booking.id),
            sa.func.coalesce(sa.func.sum(Booking.used_minutes), 0),
            sa.func.coalesce(sa.func.sum(outside), 0),
            money_sum(Booking.fee),
            money_sum(Booking.voucher_amount),
        )
        .select_from(Instrument)
        .outerjoin(
            Booking, sa.and_(Booking.instrument_id == Instrument.id, Booking.status == "completed")
        )
        .where(Instrument.org_id == org_id)
        .group_by(Instrument.id, Instrument.name)
        .order_by(Instrument.name)
    )
    if year is not None:
        query = query.where(
            sa.or_(Booking.id.is_(None), sa.extract("year", Booking.starts_at) == year)
        )
    rows: list[Utilisation] = []
    for (
        instrument_id,
        name,
        count,
        minutes,
        outside_minutes,
        fees,
        voucher_fees,
    ) in db.session.execute(query):
        rows.append(
            Utilisation(
                instrument_id,
                name,
                int(count),
                _hours(minutes),
                _hours(outside_minutes),
                fees,
                voucher_fees,
            )
        )
    total = Utilisation(
        None,
        "",
        sum(r.bookings for r in rows),
        sum((r.hours for r in rows), Decimal(0)),
        sum((r.outside_hours for r in rows), Decimal(0)),
        sum((r.fees for r in rows), Decimal("0.00")),
        sum((r.voucher_fees for r in rows), Decimal("0.00")),
    )
    return rows, total


def _hours(minutes: Any) -> Decimal:
    return (Decimal(int(minutes or 0)) / 60).quantize(Decimal("0.01"))
