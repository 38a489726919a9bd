"""Registration numbers (登记号): per region and year, consecutive, unique, gap-free."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.contracts import services
from marketplace.contracts.models import Contract, RegistrationCounter
from marketplace.errors import InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from tests.factories import ContractFactory, OrganisationFactory


def _submitted(seller, buyer, **kwargs) -> Contract:
    return ContractFactory(
        seller_org=seller, buyer_org=buyer, status="submitted", signed_on=date(2025, 4, 1), **kwargs
    )


def test_numbers_run_per_region_and_year(app, make_user):
    admin = make_user("admin")
    wenzhou = OrganisationFactory(kind="university", region="330300")
    hangzhou = OrganisationFactory(kind="institute", region="330100")
    buyer = OrganisationFactory(kind="enterprise", region="320500")
    a1, a2 = _submitted(wenzhou, buyer), _submitted(wenzhou, buyer)
    b1 = _submitted(hangzhou, buyer)
    old = _submitted(wenzhou, buyer)
    year = services.local_today().year
    numbers = [services.register_contract(admin, c.id).registration_no for c in (a1, b1, a2)]
    assert numbers == [f"{year}330300000001", f"{year}330100000001", f"{year}330300000002"]
    # Back-dated registration (an import of last year's register) has its own sequence.
    last_year = datetime(year - 1, 12, 31, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    assert (
        services.register_contract(admin, old.id, at=last_year).registration_no
        == f"{year - 1}330300000001"
    )
    counters = {
        (c.year, c.region): c.last_seq
        for c in db.session.execute(sa.select(RegistrationCounter)).scalars()
    }
    assert counters == {(year, "330300"): 2, (year, "330100"): 1, (year - 1, "330300"): 1}


def test_a_failed_registration_leaves_no_gap(app, make_user, monkeypatch):
    admin = make_user("admin")
    seller = OrganisationFactory(kind="university", region="330300")
    buyer = OrganisationFactory(kind="enterprise", region="330300")
    first, second = _submitted(seller, buyer), _submitted(seller, buyer)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "enqueue", broken)
    with pytest.raises(RuntimeError):
        services.register_contract(admin, first.id)
    db.session.rollback()
    monkeypatch.undo()
    number = services.register_contract(admin, second.id).registration_no
    assert number.endswith("000001")
    assert db.session.get(Contract, first.id).status == "submitted"


def test_only_admins_register_and_only_submitted_contracts(app, make_user):
    broker, admin = make_user("broker"), make_user("admin")
    seller = OrganisationFactory(kind="university", region="330300")
    buyer = OrganisationFactory(kind="enterprise")
    contract = _submitted(seller, buyer, broker=broker)
    with pytest.raises(PermissionDenied):
        services.register_contract(broker, contract.id)
    draft = ContractFactory(seller_org=seller, buyer_org=buyer, status="draft")
    with pytest.raises(InvalidTransition):
        services.register_contract(admin, draft.id)
    no_region = OrganisationFactory(kind="university", region=None)
    orphan = _submitted(no_region, buyer)
    with pytest.raises(ValidationError) as error, force_locale("en"):
        services.register_contract(admin, orphan.id)
    assert "region" in error.value.fields["seller_org_id"]
    db.session.rollback()
    assert db.session.get(Contract, orphan.id).registration_no is None


@pytest.mark.integration
@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") or "").startswith("postgres"),
    reason="needs PostgreSQL (DATABASE_URL)",
)
def test_fifty_concurrent_registrations_get_consecutive_numbers(make_app):
    threads_count = 50
    app = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 40, "pool_timeout": 60}
    )
    with app.app_context():
        from tests.factories import UserFactory

        admin_id = UserFactory(role="admin").id
        buyer = OrganisationFactory(kind="enterprise", region="320500")
        # Different sellers of one region, as in a real registry.
        sellers = [OrganisationFactory(kind="enterprise", region="330300") for _ in range(5)]
        ids = [_submitted(sellers[i % 5], buyer).id for i in range(threads_count)]
        db.session.remove()

    barrier = threading.Barrier(threads_count)
    numbers: dict[int, str] = {}
    errors: list[BaseException] = []

    def register(contract_id: int) -> None:
        with app.app_context():
            try:
                admin = db.session.get(User, admin_id)
                barrier.wait(timeout=60)
                numbers[contract_id] = services.register_contract(
                    admin, contract_id
                ).registration_no
            except BaseException as error:  # reported below, with the thread's contract
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(cid,)) for cid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    year = services.local_today().year
    assert sorted(numbers.values()) == [f"{year}330300{n:06d}" for n in range(1, 51)]
    with app.app_context():
        counter = db.session.get(RegistrationCounter, (year, "330300"))
        assert counter.last_seq == threads_count
        stored = (
            db.session.execute(sa.select(Contract.registration_no).where(Contract.id.in_(ids)))
            .scalars()
            .all()
        )
        assert sorted(stored) == sorted(numbers.values())
