"""Registration-office pages: contract page, certificate PDF, public check, worklist, reports,
drill-down and exports, as people see them."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from marketplace.contracts import services
from marketplace.extensions import db
from marketplace.stats.services import drain_updates
from marketplace.workdays import LOCAL_TZ, working_days_between
from tests.conftest import login
from tests.factories import ContractFactory, OrganisationFactory, UserFactory


def _registered(admin, **fields):
    seller = fields.pop("seller", None) or OrganisationFactory(
        kind="university", region="330100", name="浙江工业大学"
    )
    buyer = fields.pop("buyer", None) or OrganisationFactory(
        kind="enterprise", region="330300", name="温州新材料有限公司"
    )
    values = {
        "title": "石墨烯导热膜制备技术转让",
        "type": "transfer",
        "subtype": "patent",
        "signed_on": date(2026, 3, 5),
        **fields,
    }
    contract = ContractFactory(seller_org=seller, buyer_org=buyer, status="submitted", **values)
    verification = services.Verification(Decimal("700000.00"), "核减设备费")
    return services.register_contract(admin, contract.id, verification=verification)


def test_certificate_pdf_carries_number_title_amounts_and_code(client, make_user):
    admin = make_user("admin")
    contract = _registered(admin)
    login(client, admin)
    response = client.get(f"/contracts/{contract.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    for expected in (
        "技术合同登记证明",
        "登记号",
        contract.registration_no,
        "石墨烯导热膜制备技术转让",
        "浙江工业大学",
        "1,000,000.00元",
        "700,000.00元",
        contract.verification_code,
    ):
        assert expected in text


def test_certificate_is_for_the_parties_broker_and_admins_only(client, make_user):
    admin = make_user("admin")
    contract = _registered(admin)
    party = UserFactory(role="enterprise", org=contract.buyer_org)
    stranger = make_user("enterprise")
    login(client, stranger)
    assert client.get(f"/contracts/{contract.id}/certificate.pdf").status_code == 403
    client.post("/logout")
    login(client, party)
    assert client.get(f"/contracts/{contract.id}/certificate.pdf").status_code == 200
    draft = ContractFactory(seller_org=contract.seller_org, buyer_org=contract.buyer_org)
    assert client.get(f"/contracts/{draft.id}/certificate.pdf").status_code == 409


def test_public_page_confirms_then_says_void_with_the_date(client, make_user):
    admin = make_user("admin")
    contract = _registered(admin)
    url = f"/registrations/verify?no={contract.registration_no}&code={contract.verification_code}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-status="valid"' in page and "石墨烯导热膜制备技术转让" in page
    assert "温州新材料有限公司" not in page and "1,000,000" not in page  # nothing else leaks

    wrong = client.get(f"/registrations/verify?no={contract.registration_no}&code=AAAAAAAAAA")
    assert wrong.status_code == 404 and 'data-status="not_found"' in wrong.get_data(as_text=True)
    assert client.get("/registrations/verify?no=abc&code=X").status_code == 422

    services.void_contract(admin, contract.id, "双方解除")
    page = client.get(url).get_data(as_text=True)
    assert 'data-status="void"' in page
    assert datetime.now(UTC).astimezone().date().isoformat()[:4] in page


def test_contract_page_shows_the_split_and_the_verified_amount(client, make_user):
    broker = make_user("broker")
    data = services.ContractData(
        title="污水处理膜技术开发",
        type="development",
        subtype="commissioned",
        seller_org_id=OrganisationFactory(kind="university", region="330100").id,
        buyer_org_id=OrganisationFactory(kind="enterprise", region="330300").id,
        field="environment",
        signed_on=date(2026, 2, 1),
        contract_amount=Decimal("1200000"),
        line_items=(
            services.LineItemData("研发费", Decimal("1000000")),
            services.LineItemData("中试设备", Decimal("160000"), True),
            services.LineItemData("其他", Decimal("40000")),
        ),
    )
    contract = services.create_contract(broker, data)
    login(client, broker)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "1,040,000.00元" in page and "160,000.00元" in page  # technical / non-technical
    assert 'enctype="multipart/form-data"' in page  # the signed copy can be uploaded


def test_worklist_oldest_first_with_overdue_highlighted(client, make_user):
    admin = make_user("admin")
    old = ContractFactory(
        status="submitted",
        title="早提交的合同",
        submitted_at=datetime.now(UTC) - timedelta(days=20),
    )
    new = ContractFactory(status="submitted", title="刚提交的合同", submitted_at=datetime.now(UTC))
    login(client, admin)
    page = client.get("/admin/registry").get_data(as_text=True)
    assert page.index("早提交的合同") < page.index("刚提交的合同")
    assert f'data-contract="{old.id}" class="table-danger" data-overdue="1"' in page
    assert f'data-contract="{new.id}">' in page


def test_working_days_skip_weekends():
    friday = date(2026, 12, 4)
    assert working_days_between(friday, friday + timedelta(days=3)) == 1  # Monday
    assert working_days_between(friday, friday + timedelta(days=14)) == 10
    assert working_days_between(friday, friday) == 0


def test_working_days_follow_the_holiday_arrangement():
    """National Day 2026: 1–7 October off, Saturday 10 October a make-up working day. The
    registrar's target counts the days the office is open, as the 挂牌 period does."""
    eve = date(2026, 9, 30)
    assert working_days_between(eve, date(2026, 10, 7)) == 0
    assert working_days_between(eve, date(2026, 10, 12)) == 4  # 8, 9, 10 (Sat) and 12 October


def test_national_export_and_drill_down_reconcile(client, make_user):
    admin = make_user("admin")
    contract = _registered(admin)
    other = _registered(
        admin,
        seller=contract.seller_org,
        buyer=contract.buyer_org,
        type="development",
        subtype="commissioned",
        contract_amount=Decimal("2000000.00"),
    )
    drain_updates()
    login(client, admin)
    # The office's days are Beijing's: between 16:00 and 24:00 UTC its today is tomorrow.
    today = datetime.now(LOCAL_TZ).date().isoformat()
    response = client.get(f"/admin/registry/export.xlsx?start={today}&end={today}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("登记号", "合同名称", "合同类型")
    assert [row[0] for row in rows[1:]] == [contract.registration_no, other.registration_no]
    assert rows[1][12] == 700000  # the verified technology amount
    assert client.get("/admin/registry/export.xlsx?start=x&end=y").status_code == 422

    page = client.get("/admin/stats/contracts?year=2026&type=transfer").get_data(as_text=True)
    assert contract.registration_no in page and other.registration_no not in page
    assert "700,000.00元" in page
    assert client.get("/admin/stats/contracts?year=2026&type=bogus").status_code == 422
    export = client.get("/admin/stats/contracts?year=2026&format=xlsx")
    assert len(list(load_workbook(io.BytesIO(export.data)).active.iter_rows())) == 3

    dashboard = client.get("/admin/stats?year=2026").get_data(as_text=True)
    assert "/admin/stats/contracts?year=2026&amp;type=transfer" in dashboard
    assert "核定" in dashboard

    report = client.get("/admin/stats/reports?period=quarter&year=2026&number=1")
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "3,000,000.00元" in text
    assert client.get("/admin/stats/reports?period=quarter&year=2026&number=9").status_code == 422

    tax = client.get("/admin/stats/tax-exempt?year=2026").get_data(as_text=True)
    assert "700,000.00元" in tax and "1,400,000.00元" not in tax


def test_registry_pages_are_for_admins(client, make_user):
    login(client, make_user("broker"))
    for url in (
        "/admin/registry",
        "/admin/stats/reports",
        "/admin/stats/contracts",
        "/admin/stats/bulletins",
        "/admin/stats/tax-exempt",
        "/admin/registry/export.xlsx?start=2026-01-01&end=2026-01-31",
    ):
        assert client.get(url).status_code == 403, url
    db.session.rollback()
