"""Instrument bookings: the overlap rule (service and database), fees, utilisation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.database import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.instruments import queries, services
from marketplace.instruments.models import Booking, BookingEvent
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory


@pytest.fixture
def owner(app):
    return UserFactory(role="researcher", org=OrganisationFactory(kind="university"))


def slot(hours_from_now: int, length: int = 2) -> tuple:
    start = (utcnow() + timedelta(hours=hours_from_now)).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=length)


def book(user, instrument, start, end) -> Booking:
    return services.request_booking(
        user,
        instrument.id,
        services.BookingData(starts_at=start, ends_at=end, purpose="XRD 物相分析", samples=2),
    )


def test_overlapping_request_is_refused_once_a_slot_is_approved(owner):
    instrument = InstrumentFactory(org=owner.org)
    guest = UserFactory(role="enterprise")
    first = book(guest, instrument, *slot(48))
    second = book(guest, instrument, *slot(49))  # overlaps, but nothing is approved yet
    services.approve_booking(owner, first.id)
    with pytest.raises(Conflict) as error:
        services.approve_booking(owner, second.id)
    assert error.value.code == "slot_taken"
    db.session.rollback()
    with pytest.raises(Conflict):
        book(guest, instrument, *slot(47))
    db.session.rollback()
    # Touching end to start is not an overlap (half-open slots).
    start, _end = slot(50)
    assert book(guest, instrument, start, start + timedelta(hours=1)).status == "requested"
    assert db.session.get(Booking, second.id).status == "requested"


def test_database_refuses_overlapping_approved_bookings(owner):
    instrument = InstrumentFactory(org=owner.org)
    guest = UserFactory(role="enterprise")
    start, end = slot(24)
    for offset in (0, 1):
        db.session.add(
            Booking(
                instrument_id=instrument.id,
                requester_id=guest.id,
                requester_org_id=guest.org_id,
                purpose="x",
                starts_at=start + timedelta(hours=offset),
                ends_at=end + timedelta(hours=offset),
                status="approved",
            )
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0


def test_bad_slots_are_refused(owner):
    instrument = InstrumentFactory(org=owner.org)
    guest = UserFactory(role="enterprise")
    start, end = slot(-3)
    with pytest.raises(ValidationError) as error:
        book(guest, instrument, start, end)
    assert "starts_at" in error.value.fields
    start, end = slot(5)
    with pytest.raises(ValidationError) as error:
        book(guest, instrument, end, start)
    assert "ends_at" in error.value.fields
    with pytest.raises(PermissionDenied):
        book(UserFactory(role="broker"), instrument, start, end)


def test_decline_needs_a_reason_and_is_audited(owner):
    instrument = InstrumentFactory(org=owner.org)
    booking = book(UserFactory(role="enterprise"), instrument, *slot(30))
    with pytest.raises(ValidationError):
        services.decline_booking(owner, booking.id, " ")
    with pytest.raises(PermissionDenied):
        services.decline_booking(UserFactory(role="researcher"), booking.id, "no")
    services.decline_booking(owner, booking.id, "设备检修")
    events = (
        db.session.execute(sa.select(BookingEvent).where(BookingEvent.booking_id == booking.id))
        .scalars()
        .all()
    )
    assert [(e.action, e.to_status, e.note) for e in events] == [
        ("request", "requested", "XRD 物相分析"),
        ("decline", "declined", "设备检修"),
    ]


def test_usage_fee_and_utilisation(owner):
    instrument = InstrumentFactory(org=owner.org, fee=Decimal("250.00"))
    guest = UserFactory(role="enterprise")
    outside = book(guest, instrument, *slot(10, 3))
    inside = book(owner, instrument, *slot(20, 1))
    for hours_ago, booking in ((10, outside), (5, inside)):
        services.approve_booking(owner, booking.id)
        length = booking.ends_at - booking.starts_at
        booking.starts_at = utcnow() - timedelta(hours=hours_ago)
        booking.ends_at = booking.starts_at + length
        db.session.commit()
    services.complete_booking(owner, outside.id, services.UsageData(used_minutes=150))
    services.complete_booking(owner, inside.id, services.UsageData())
    assert outside.fee == Decimal("625.00")  # 2.5 h × ¥250
    future = book(guest, instrument, *slot(40))
    services.approve_booking(owner, future.id)
    with pytest.raises(ValidationError):  # usage is recorded once the slot has started
        services.complete_booking(owner, future.id, services.UsageData())
    rows, total = queries.utilisation(owner.org_id)
    assert [row.bookings for row in rows] == [2]
    assert total.hours == Decimal("3.50")
    assert total.outside_hours == Decimal("2.50")
    assert total.outside_share == Decimal("0.7143")
    assert total.fees == Decimal("875.00")


def test_library_facets_count_with_other_filters(app):
    north = OrganisationFactory(kind="university", region="330100")
    south = OrganisationFactory(kind="institute", region="440300")
    InstrumentFactory(org=north, category="imaging", fee=Decimal("0"))
    InstrumentFactory(org=north, category="analysis", fee=Decimal("500"))
    InstrumentFactory(org=south, category="imaging", fee=Decimal("1500"))
    result = queries.library(queries.LibraryFilters(category="imaging"))
    assert len(db.session.execute(result.query).scalars().all()) == 2
    categories = {f.code: f.count for f in result.facets["category"]}
    assert categories == {"analysis": 1, "imaging": 2}  # the category facet ignores itself
    assert {f.code: f.count for f in result.facets["region"]} == {"330000": 1, "440000": 1}
    assert {f.code: f.count for f in result.facets["fee"]} == {"free": 1, "over_1000": 1}
    zhejiang = queries.library(queries.LibraryFilters(region="330000", fee_band="200_1000"))
    assert [i.category for i in db.session.execute(zhejiang.query).scalars()] == ["analysis"]
