"""Bad input through the web and the API gets a clear 4xx and changes nothing; the figures
reach the dashboard, the XLSX export, the API and ``marketplace stats check``."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments.models import Booking
from marketplace.listings.attachments import Upload
from marketplace.vouchers import jobs, services
from marketplace.vouchers.models import Voucher, VoucherDocument, VoucherEvent, VoucherScheme
from tests.conftest import api_headers, login
from tests.test_idempotency import _token
from tests.vouchers.conftest import FAKE_PDF, PDF, apply, completed_booking, ordered


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_overlapping_booking_is_409_and_nothing_is_added(client, vworld):
    headers = api_headers(client, vworld["users"]["enterprise"])
    start = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    url = f"/api/v1/instruments/{vworld['instrument'].id}/bookings"
    first = client.post(
        url,
        headers=headers,
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "purpose": "测试",
        },
    )
    assert first.status_code == 201
    owner = api_headers(client, vworld["users"]["provider"])
    assert (
        client.post(f"/api/v1/bookings/{first.json['id']}/approve", headers=owner, json={}).json[
            "status"
        ]
        == "approved"
    )
    clash = client.post(
        url,
        headers=headers,
        json={
            "starts_at": (start + timedelta(hours=1)).isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "purpose": "测试",
        },
    )
    assert clash.status_code == 409
    assert clash.json["error"]["code"] == "slot_taken"
    past = client.post(
        url,
        headers=headers,
        json={
            "starts_at": (start - timedelta(days=4)).isoformat(),
            "ends_at": (start - timedelta(days=4, hours=-1)).isoformat(),
            "purpose": "测试",
        },
    )
    assert past.status_code == 422
    assert "starts_at" in past.json["error"]["fields"]
    assert count(Booking) == 1


def test_voucher_above_cap_and_unapproved_provider_are_422(client, vworld):
    headers = api_headers(client, vworld["users"]["enterprise"])
    above = client.post(
        "/api/v1/vouchers",
        headers=headers,
        json={
            "scheme_id": vworld["scheme"].id,
            "service_type": "testing",
            "requested_amount": "20000.01",
            "purpose": "检测",
        },
    )
    assert above.status_code == 422
    assert "requested_amount" in above.json["error"]["fields"]
    assert count(Voucher) == 0
    voucher = apply(vworld)
    services.approve_voucher(vworld["users"]["admin"], voucher.id)
    refused = client.post(
        f"/api/v1/vouchers/{voucher.id}/use",
        headers=headers,
        json={"provider_org_id": vworld["other_org"].id, "amount": "1000"},
    )
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "provider_not_approved"
    above_approved = client.post(
        f"/api/v1/vouchers/{voucher.id}/use",
        headers=headers,
        json={"provider_org_id": vworld["provider_org"].id, "amount": "10000.01"},
    )
    assert above_approved.status_code == 422
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status == "approved"


def test_redemption_with_a_fake_pdf_is_422_through_the_api(client, vworld):
    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    headers = api_headers(client, vworld["users"]["enterprise"])
    files = {
        "booking_id": str(booking.id),
        "invoice": (io.BytesIO(FAKE_PDF), "invoice.pdf", "application/pdf"),
        "payment": (io.BytesIO(PDF), "payment.pdf", "application/pdf"),
        "result": (io.BytesIO(PDF), "result.pdf", "application/pdf"),
    }
    response = client.post(
        f"/api/v1/vouchers/{voucher.id}/redeem",
        headers=headers,
        data=files,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "invoice" in response.json["error"]["fields"]
    assert count(VoucherDocument) == 0
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).status == "confirmed"
    files["invoice"] = (io.BytesIO(PDF), "invoice.pdf", "application/pdf")
    for name in ("payment", "result"):
        files[name] = (io.BytesIO(PDF), f"{name}.pdf", "application/pdf")
    good = client.post(
        f"/api/v1/vouchers/{voucher.id}/redeem",
        headers=headers,
        data=files,
        content_type="multipart/form-data",
    )
    assert good.status_code == 200, good.json
    assert good.json["status"] == "redeem_requested"
    assert good.json["redeemed_amount"] == "800.00"


def test_web_apply_above_cap_shows_the_message_and_saves_nothing(client, vworld):
    login(client, vworld["users"]["enterprise"])
    response = client.post(
        "/vouchers/apply",
        data={
            "scheme_id": vworld["scheme"].id,
            "service_type": "testing",
            "requested_amount": "99999",
            "purpose": "检测",
        },
    )
    assert response.status_code == 422
    assert "cap" in response.get_data(as_text=True) or "上限" in response.get_data(as_text=True)
    assert count(Voucher) == 0


def test_sending_the_scheme_form_twice_saves_one_scheme(client, vworld):
    login(client, vworld["users"]["admin"])
    html = client.get("/admin/vouchers/schemes/new").get_data(as_text=True)
    today = utcnow().date()
    data = {
        "form_token": _token(html),
        "name": "2027年度创新券",
        "year": str(today.year + 1),
        "budget": "500000",
        "eligible_kinds": ["enterprise"],
        "services": ["testing", "instrument"],
        "ratio_percent": "50",
        "cap_per_application": "20000",
        "cap_per_enterprise_year": "50000",
        "payee_mode": "enterprise",
        "opens_on": (today + timedelta(days=10)).isoformat(),
        "use_by": (today + timedelta(days=200)).isoformat(),
        "redeem_by": (today + timedelta(days=260)).isoformat(),
        "publication_days": "5",
    }
    first = client.post("/admin/vouchers/schemes/new", data=data)
    again = client.post("/admin/vouchers/schemes/new", data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    db.session.rollback()
    scheme = db.session.execute(
        sa.select(VoucherScheme).where(VoucherScheme.name == "2027年度创新券")
    ).scalar_one()
    assert again.headers["Location"].endswith(f"#scheme-{scheme.id}")
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_sending_the_application_form_twice_submits_one_application(client, vworld):
    login(client, vworld["users"]["enterprise"])
    data = {
        "form_token": _token(client.get("/vouchers/apply").get_data(as_text=True)),
        "scheme_id": vworld["scheme"].id,
        "service_type": "testing",
        "requested_amount": "10000",
        "purpose": "样品形貌表征",
    }
    first = client.post("/vouchers/apply", data=data)
    again = client.post("/vouchers/apply", data=data)  # Back, then send again
    assert first.status_code == again.status_code == 302, first.get_data(as_text=True)[:2000]
    assert first.headers["Location"] == again.headers["Location"]
    db.session.rollback()
    voucher = db.session.execute(sa.select(Voucher)).scalar_one()
    assert again.headers["Location"].endswith(f"/vouchers/{voucher.id}")
    assert "已经提交过" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_budget_exhausted_is_a_clear_409(client, vworld):
    db.session.execute(sa.update(VoucherScheme).values(budget=Decimal("15000.00")))
    db.session.commit()
    first, second = apply(vworld, "10000"), apply(vworld, "6000")
    headers = api_headers(client, vworld["users"]["admin"])
    assert (
        client.post(f"/api/v1/vouchers/{first.id}/approve", headers=headers, json={}).status_code
        == 200
    )
    response = client.post(f"/api/v1/vouchers/{second.id}/approve", headers=headers, json={})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "budget_exhausted"
    assert count(VoucherEvent) == 3  # two applications and one approval


def _redeemed(vworld) -> Voucher:
    voucher = ordered(vworld)
    booking = completed_booking(vworld, voucher.id)
    services.request_redemption(
        vworld["users"]["enterprise"],
        voucher.id,
        services.Redemption(
            booking_id=booking.id,
            documents={k: Upload(f"{k}.pdf", PDF) for k in ("invoice", "payment", "result")},
        ),
    )
    services.review_redemption(vworld["users"]["admin"], voucher.id, "approve")
    jobs.finish_publications(now=utcnow() + timedelta(days=30))
    db.session.expire_all()
    return db.session.get(Voucher, voucher.id)


def test_figures_on_dashboard_export_api_and_check(app, client, vworld):
    voucher = _redeemed(vworld)
    assert voucher.status == "redeemed"
    year = vworld["scheme"].year
    headers = api_headers(client, vworld["users"]["admin"])
    body = client.get(f"/api/v1/stats/vouchers?year={year}", headers=headers).json
    assert body["redeemed"] == "800.00" and body["issued"] == "10000.00"
    assert body["usage_rate"] == "0.0800"
    assert body["by_provider"][0]["label"] == vworld["provider_org"].name
    assert body["by_service"][0]["code"] == "instrument"
    web = app.test_client()
    login(web, vworld["users"]["admin"])
    page = web.get(f"/admin/stats?year={year}").get_data(as_text=True)
    assert "创新券使用额" in page and "800.00元" in page
    export = web.get(f"/admin/stats/export.xlsx?year={year}")
    book = load_workbook(io.BytesIO(export.data))
    rows = {
        row[0]: row[1]
        for row in book[
            "Vouchers" if "Vouchers" in book.sheetnames else book.sheetnames[-5]
        ].iter_rows(values_only=True)
    }
    assert Decimal(str(next(v for k, v in rows.items() if "创新券使用额" in str(k)))) == Decimal(
        "800"
    )
    result = app.test_cli_runner().invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output
    db.session.execute(sa.update(VoucherScheme).values(redeemed=Decimal("1.00")))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "check"])
    assert result.exit_code == 1
    assert "redeemed: expected 800.00, found 1.00" in result.stderr
