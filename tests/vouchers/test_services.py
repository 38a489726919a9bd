"""The voucher life cycle and its money rules, through the services (no HTTP)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.contracts import services as contract_services
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings.attachments import Upload
from marketplace.vouchers import jobs, schemes, services
from marketplace.vouchers.models import Voucher, VoucherDocument, VoucherEvent, VoucherScheme
from marketplace.vouchers.stats import check_vouchers, voucher_stats
from tests.factories import ContractFactory, VoucherSchemeFactory
from tests.vouchers.conftest import FAKE_PDF, PDF, apply, completed_booking, ordered


def documents(**override: bytes) -> dict[str, Upload]:
    files = {kind: Upload(f"{kind}.pdf", PDF) for kind in ("invoice", "payment", "result")}
    files.update({kind: Upload(f"{kind}.pdf", data) for kind, data in override.items()})
    return files


def scheme_totals(scheme_id: int) -> tuple[Decimal, Decimal]:
    db.session.expire_all()
    scheme = db.session.get(VoucherScheme, scheme_id)
    assert scheme is not None
    return scheme.committed, scheme.redeemed


def test_full_life_cycle_through_a_booking(vworld):
    admin, enterprise = vworld["users"]["admin"], vworld["users"]["enterprise"]
    voucher = ordered(vworld, "10000")
    assert scheme_totals(vworld["scheme"].id) == (Decimal("10000.00"), Decimal("0.00"))
    # 4 hours at ¥400 = ¥1,600; the voucher pays 50 %.
    booking = completed_booking(vworld, voucher.id)
    assert booking.fee == Decimal("1600.00")
    assert booking.voucher_amount == Decimal("800.00")

    services.request_redemption(
        enterprise, voucher.id, services.Redemption(booking_id=booking.id, documents=documents())
    )
    assert voucher.status == "redeem_requested"
    assert voucher.actual_cost == Decimal("1600.00")
    assert voucher.redeemed_amount == Decimal("800.00")

    services.review_redemption(admin, voucher.id, "approve")
    assert voucher.status == "publicised"
    assert jobs.finish_publications() == 0  # the publication period is still running
    later = utcnow() + timedelta(days=vworld["scheme"].publication_days, minutes=1)
    assert jobs.finish_publications(now=later) == 1
    db.session.expire_all()
    voucher = db.session.get(Voucher, voucher.id)
    assert voucher.status == "redeemed"
    # The commitment became the (smaller) redemption.
    assert scheme_totals(vworld["scheme"].id) == (Decimal("0.00"), Decimal("800.00"))
    actions = [
        e.action
        for e in db.session.execute(
            sa.select(VoucherEvent)
            .where(VoucherEvent.subject == "voucher", VoucherEvent.subject_id == voucher.id)
            .order_by(VoucherEvent.id)
        ).scalars()
    ]
    assert actions == ["apply", "approve", "use", "confirm", "redeem", "review", "redeemed"]
    stats = voucher_stats(vworld["scheme"].year)
    assert stats.totals.redeemed == Decimal("800.00")
    assert stats.totals.issued == Decimal("10000.00")
    assert stats.leverage == Decimal("2.00")
    assert check_vouchers() == []


def test_redemption_under_a_registered_contract_pays_ratio_of_contract(vworld):
    admin, enterprise = vworld["users"]["admin"], vworld["users"]["enterprise"]
    voucher = ordered(vworld, "15000")
    contract = ContractFactory(
        seller_org=vworld["provider_org"],
        buyer_org=vworld["enterprise_org"],
        status="submitted",
        contract_amount=Decimal("20000.00"),
        tech_amount=Decimal("20000.00"),
    )
    contract_services.register_contract(admin, contract.id)
    # 50 % of 20,000 = 10,000 is the most; asking more is refused and changes nothing.
    with pytest.raises(ValidationError) as error:
        services.request_redemption(
            enterprise,
            voucher.id,
            services.Redemption(
                contract_id=contract.id,
                amount=Decimal("10000.01"),
                documents=documents(contract=PDF),
            ),
        )
    assert error.value.code == "above_cap"
    db.session.rollback()
    assert db.session.get(Voucher, voucher.id).status == "confirmed"
    services.request_redemption(
        enterprise,
        voucher.id,
        services.Redemption(contract_id=contract.id, documents=documents(contract=PDF)),
    )
    assert voucher.redeemed_amount == Decimal("10000.00")
    assert {d.kind for d in voucher.documents} == {"contract", "invoice", "payment", "result"}


def test_fake_pdf_is_refused_and_nothing_is_written(vworld, app):
    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    with pytest.raises(ValidationError) as error:
        services.request_redemption(
            vworld["users"]["enterprise"],
            voucher.id,
            services.Redemption(booking_id=booking.id, documents=documents(invoice=FAKE_PDF)),
        )
    assert "invoice" in error.value.fields
    db.session.rollback()
    assert db.session.get(Voucher, voucher.id).status == "confirmed"
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(VoucherDocument)).scalar_one()
        == 0
    )


def test_caps_and_budget(vworld):
    admin = vworld["users"]["admin"]
    with pytest.raises(ValidationError) as error:
        apply(vworld, "20000.01")  # cap per application is 20,000
    assert "requested_amount" in error.value.fields
    first = apply(vworld, "20000")
    services.approve_voucher(admin, first.id)
    second = apply(vworld, "10000")
    with pytest.raises(ValidationError):
        apply(vworld, "10000.01")  # 20,000 + 10,000.01 > 30,000 per enterprise-year
    small = VoucherSchemeFactory(
        budget=Decimal("5000.00"),
        cap_per_application=Decimal("5000.00"),
        cap_per_enterprise_year=Decimal("5000.00"),
    )
    vworld["scheme"] = small
    third = apply(vworld, "5000")
    db.session.execute(
        sa.update(VoucherScheme)
        .where(VoucherScheme.id == small.id)
        .values(budget=Decimal("4999.99"))
    )
    db.session.commit()
    with pytest.raises(Conflict) as exhausted:
        services.approve_voucher(admin, third.id)
    assert exhausted.value.code == "budget_exhausted"
    db.session.rollback()
    assert db.session.get(Voucher, third.id).status == "applied"
    assert scheme_totals(small.id) == (Decimal("0.00"), Decimal("0.00"))
    services.approve_voucher(admin, second.id, Decimal("8000"))
    assert second.approved_amount == Decimal("8000.00")


def test_provider_must_be_approved_and_unrelated(vworld):
    admin, enterprise = vworld["users"]["admin"], vworld["users"]["enterprise"]
    voucher = apply(vworld)
    services.approve_voucher(admin, voucher.id)
    with pytest.raises(ValidationError) as error:
        services.use_voucher(enterprise, voucher.id, vworld["other_org"].id, Decimal("100"))
    assert error.value.code == "provider_not_approved"
    schemes.declare_tie(admin, vworld["enterprise_org"].id, vworld["provider_org"].id, "控股")
    with pytest.raises(ValidationError) as error:
        services.use_voucher(enterprise, voucher.id, vworld["provider_org"].id, Decimal("100"))
    assert error.value.code == "related_party"
    db.session.rollback()
    assert db.session.get(Voucher, voucher.id).status == "approved"


def test_refusal_needs_a_reason_code_and_roles_are_checked(vworld):
    voucher = apply(vworld)
    with pytest.raises(PermissionDenied):
        services.approve_voucher(vworld["users"]["enterprise"], voucher.id)
    with pytest.raises(ValidationError):
        services.refuse_voucher(vworld["users"]["admin"], voucher.id, "because")
    services.refuse_voucher(vworld["users"]["admin"], voucher.id, "ineligible", "非本市企业")
    assert voucher.status == "refused" and voucher.refusal_code == "ineligible"
    with pytest.raises(InvalidTransition):
        services.approve_voucher(vworld["users"]["admin"], voucher.id)


def test_jobs_expire_and_revoke_and_release_the_budget(vworld):
    admin = vworld["users"]["admin"]
    unused = apply(vworld, "5000")
    services.approve_voucher(admin, unused.id)
    used = ordered(vworld, "6000")
    scheme = vworld["scheme"]
    assert scheme_totals(scheme.id) == (Decimal("11000.00"), Decimal("0.00"))
    after_use_by = utcnow() + timedelta(days=(scheme.use_by - utcnow().date()).days + 2)
    assert jobs.expire_vouchers(now=after_use_by) == 1
    after_redeem_by = utcnow() + timedelta(days=(scheme.redeem_by - utcnow().date()).days + 2)
    assert jobs.revoke_overdue(now=after_redeem_by) == 1
    db.session.expire_all()
    assert db.session.get(Voucher, unused.id).status == "expired"
    assert db.session.get(Voucher, used.id).status == "revoked"
    assert scheme_totals(scheme.id) == (Decimal("0.00"), Decimal("0.00"))
    assert check_vouchers() == []


def test_check_finds_drift(vworld):
    voucher = apply(vworld, "5000")
    services.approve_voucher(vworld["users"]["admin"], voucher.id)
    db.session.execute(
        sa.update(VoucherScheme)
        .where(VoucherScheme.id == vworld["scheme"].id)
        .values(committed=Decimal("4000.00"))
    )
    db.session.commit()
    differences = check_vouchers()
    assert [d.what for d in differences] == [f"scheme {vworld['scheme'].id} committed"]


def test_scheme_dates_in_the_past_are_refused(vworld):
    today = utcnow().date()
    with pytest.raises(ValidationError) as error:
        schemes.create_scheme(
            vworld["users"]["admin"],
            schemes.SchemeData(
                name="过期方案",
                year=today.year,
                budget=Decimal("1000"),
                services=("testing",),
                ratio_percent=50,
                cap_per_application=Decimal("100"),
                cap_per_enterprise_year=Decimal("100"),
                opens_on=today - timedelta(days=30),
                use_by=today - timedelta(days=1),
                redeem_by=today,
            ),
        )
    assert "use_by" in error.value.fields


def test_review_can_send_back_and_a_new_request_replaces_the_documents(vworld, app):
    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    request = services.Redemption(booking_id=booking.id, documents=documents())
    services.request_redemption(vworld["users"]["enterprise"], voucher.id, request)
    first = {d.stored_name for d in voucher.documents}
    with pytest.raises(ValidationError):
        services.review_redemption(vworld["users"]["admin"], voucher.id, "reject", "because")
    services.review_redemption(
        vworld["users"]["admin"], voucher.id, "reject", "documents", "发票抬头有误"
    )
    assert voucher.status == "confirmed"
    services.request_redemption(vworld["users"]["enterprise"], voucher.id, request)
    db.session.expire_all()
    voucher = db.session.get(Voucher, voucher.id)
    assert len(voucher.documents) == 3
    assert not first & {d.stored_name for d in voucher.documents}
    assert not any((Path(app.config["UPLOAD_DIR"]) / name).exists() for name in first)


def test_redemption_documents_are_stored_in_the_database_and_replaced_ones_are_gone(vworld):
    from marketplace import storage

    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    request = services.Redemption(booking_id=booking.id, documents=documents())
    services.request_redemption(vworld["users"]["enterprise"], voucher.id, request)
    first = {d.stored_name for d in voucher.documents}
    assert len(first) == 3 and first <= set(storage.names())
    services.review_redemption(
        vworld["users"]["admin"], voucher.id, "reject", "documents", "发票抬头有误"
    )
    services.request_redemption(vworld["users"]["enterprise"], voucher.id, request)
    db.session.expire_all()
    voucher = db.session.get(Voucher, voucher.id)
    names = set(storage.names())
    assert {d.stored_name for d in voucher.documents} <= names
    assert not first & names


def test_a_redemption_document_downloads_from_the_database_for_its_readers_only(vworld, app):
    from tests.conftest import login

    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    services.request_redemption(
        vworld["users"]["enterprise"],
        voucher.id,
        services.Redemption(booking_id=booking.id, documents=documents()),
    )
    document = voucher.documents[0]
    reader = app.test_client()
    login(reader, vworld["users"]["enterprise"])
    response = reader.get(f"/vouchers/documents/{document.id}")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert app.test_client().get(f"/vouchers/documents/{document.id}").status_code in (302, 401)
    outsider = app.test_client()
    login(outsider, vworld["users"]["outsider"])
    assert outsider.get(f"/vouchers/documents/{document.id}").status_code == 404
