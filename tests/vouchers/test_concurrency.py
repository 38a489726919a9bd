"""Fifty approvals at once against a budget for forty (PostgreSQL: real concurrent sessions)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher, VoucherScheme
from marketplace.vouchers.stats import check_vouchers
from tests.conftest import SERVER_DATABASE_URL
from tests.factories import OrganisationFactory, UserFactory, VoucherSchemeFactory

pytestmark = pytest.mark.skipif(
    not (SERVER_DATABASE_URL or "").startswith("postgres"),
    reason="row locks are a PostgreSQL matter; SQLite serialises writers itself",
)


def test_fifty_concurrent_approvals_against_budget_for_forty(app: Any) -> None:
    scheme = VoucherSchemeFactory(
        budget=Decimal("40000.00"),
        cap_per_application=Decimal("1000.00"),
        cap_per_enterprise_year=Decimal("1000.00"),
    )
    voucher_ids = []
    for _index in range(50):
        user = UserFactory(role="enterprise", org=OrganisationFactory(kind="enterprise"))
        voucher_ids.append(
            services.apply_for_voucher(
                user,
                services.Application(
                    scheme_id=scheme.id,
                    service_type="testing",
                    requested_amount=Decimal("1000"),
                    purpose="检测",
                ),
            ).id
        )
    admin_id = UserFactory(role="admin").id
    scheme_id = scheme.id
    db.session.remove()

    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(voucher_id: int) -> None:
        # Wait before touching the database: the pool has fewer connections than threads.
        barrier.wait()
        with app.app_context():
            try:
                services.approve_voucher(db.session.get(User, admin_id), voucher_id)
                result = "approved"
            except Conflict as error:
                db.session.rollback()
                result = error.code
            except Exception as error:  # reported, and fails the test below
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(vid,)) for vid in voucher_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert sorted(set(outcomes)) == ["approved", "budget_exhausted"], outcomes
    assert outcomes.count("approved") == 40
    assert outcomes.count("budget_exhausted") == 10
    db.session.expire_all()
    fresh = db.session.get(VoucherScheme, scheme_id)
    assert fresh.committed == Decimal("40000.00")
    approved_total = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Voucher)
        .where(Voucher.scheme_id == scheme_id, Voucher.status == "approved")
    ).scalar_one()
    assert approved_total == 40
    assert check_vouchers() == []
