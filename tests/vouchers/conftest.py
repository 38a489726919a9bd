"""A small voucher world: an admin, an enterprise, a provider university with an instrument,
an open scheme; and helpers to drive a voucher through its life cycle by the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments import services as instrument_services
from marketplace.vouchers import services
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    UserFactory,
    VoucherProviderFactory,
    VoucherSchemeFactory,
)

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"%%EOF\n"
)
FAKE_PDF = b"%PDF-1.4\n<script>alert(1)</script>"


@pytest.fixture
def vworld(app: Any) -> dict[str, Any]:
    enterprise_org = OrganisationFactory(kind="enterprise", region="330300", name="瓯海精密机械")
    provider_org = OrganisationFactory(kind="university", region="330100", name="浙江测试大学")
    other_org = OrganisationFactory(kind="university", region="330100", name="未入库研究院")
    users = {
        "admin": UserFactory(role="admin"),
        "enterprise": UserFactory(role="enterprise", org=enterprise_org),
        "provider": UserFactory(role="researcher", org=provider_org),
        "other": UserFactory(role="researcher", org=other_org),
        "outsider": UserFactory(role="enterprise"),
        "broker": UserFactory(role="broker"),
    }
    VoucherProviderFactory(org=provider_org)
    scheme = VoucherSchemeFactory(
        budget=Decimal("100000.00"),
        ratio_percent=50,
        cap_per_application=Decimal("20000.00"),
        cap_per_enterprise_year=Decimal("30000.00"),
    )
    instrument = InstrumentFactory(org=provider_org, fee=Decimal("400.00"))
    return {
        "users": users,
        "scheme": scheme,
        "instrument": instrument,
        "enterprise_org": enterprise_org,
        "provider_org": provider_org,
        "other_org": other_org,
    }


def apply(world: dict[str, Any], amount: str = "10000", service: str = "instrument") -> Any:
    return services.apply_for_voucher(
        world["users"]["enterprise"],
        services.Application(
            scheme_id=world["scheme"].id,
            service_type=service,
            requested_amount=Decimal(amount),
            purpose="样品形貌表征",
        ),
    )


def ordered(world: dict[str, Any], amount: str = "10000") -> Any:
    voucher = apply(world, amount)
    services.approve_voucher(world["users"]["admin"], voucher.id)
    services.use_voucher(
        world["users"]["enterprise"], voucher.id, world["provider_org"].id, Decimal(amount)
    )
    return services.confirm_voucher(world["users"]["provider"], voucher.id)


def completed_booking(world: dict[str, Any], voucher_id: int | None, hours: int = 4) -> Any:
    """A booking approved for tomorrow, then moved into the past (time passes) and completed."""
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    booking = instrument_services.request_booking(
        world["users"]["enterprise"],
        world["instrument"].id,
        instrument_services.BookingData(
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            purpose="SEM 表征",
            samples=3,
            voucher_id=voucher_id,
        ),
    )
    instrument_services.approve_booking(world["users"]["provider"], booking.id)
    shift_into_past(booking)
    return instrument_services.complete_booking(
        world["users"]["provider"], booking.id, instrument_services.UsageData()
    )


def shift_into_past(booking: Any, hours_ago: int = 0) -> None:
    """Time passes: the slot now lies in the past (ending an hour, or ``hours_ago``, ago)."""
    length = booking.ends_at - booking.starts_at
    booking.starts_at = utcnow() - (
        timedelta(hours=hours_ago) if hours_ago else length + timedelta(hours=1)
    )
    booking.ends_at = booking.starts_at + length
    db.session.commit()
