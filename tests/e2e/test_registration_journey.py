"""The registration office (issue 15): a broker submits a contract with its signed PDF; the
registrar verifies (核定) a lower technology amount with a reason and registers it; the
certificate PDF carries the 登记号 and the Chinese title; the public check confirms it, and says
void (with the date) once the registration is voided."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from marketplace.contracts.services import local_today
from marketplace.pdf import Document
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, OrganisationFactory
from tests.live import call, token_for

pytestmark = pytest.mark.e2e

TITLE = "废旧锂电池梯次利用关键技术转让合同"


def _signed_pdf() -> bytes:
    doc = Document(TITLE, subtitle="签署本")
    doc.paragraph("甲乙双方经协商一致，签订本技术转让合同。")
    return doc.to_bytes()


def test_signed_copy_verification_certificate_and_public_check(
    live_server: Any, new_page: Any, make_user: Any, tmp_path: Any
) -> None:
    url = live_server.url
    broker, admin = make_user("broker", name="陈经纪"), make_user("admin")
    seller = OrganisationFactory(name="浙江大学宁波研究院", kind="institute", region="330200")
    buyer = OrganisationFactory(name="温州储能科技有限公司", kind="enterprise", region="330300")
    status, body = call(
        url + "/api/v1/contracts",
        "POST",
        {
            "title": TITLE,
            "type": "transfer",
            "subtype": "patent",
            "seller_org_id": seller.id,
            "buyer_org_id": buyer.id,
            "field": "new_energy",
            "signed_on": local_today().isoformat(),
            "contract_amount": "1500000.00",
            "tech_amount": "1500000.00",
        },
        token_for(live_server, broker.email, PASSWORD),
    )
    assert status == 201, body
    contract_url = f"{url}/contracts/{body['id']}"

    # The broker puts the signed PDF on file, then submits.
    page = new_page()
    sign_in(page, live_server, broker.email, PASSWORD)
    page.goto(contract_url)
    page.click("form[action$='/submit'] button")
    page.wait_for_url(contract_url)
    assert page.locator(".alert-danger").count() == 1  # not without the signed copy
    assert page.get_attribute("[data-status]", "data-status") == "draft"
    page.set_input_files(
        "#signed-copy-file",
        files=[{"name": "合同签署本.pdf", "mimeType": "application/pdf", "buffer": _signed_pdf()}],
    )
    page.click("form[action$='/signed-copy'] button")
    page.wait_for_url(contract_url)
    page.click("form[action$='/submit'] button")
    page.wait_for_url(contract_url)
    assert page.get_attribute("[data-status]", "data-status") == "submitted"

    # The registrar finds it on the worklist, reads the copy, verifies a lower amount.
    registrar = new_page()
    sign_in(registrar, live_server, admin.email, PASSWORD)
    registrar.goto(url + "/admin/registry")
    registrar.click(f"[data-table=worklist] a[href$='/contracts/{body['id']}']")
    registrar.wait_for_url(contract_url)
    assert registrar.locator("[data-testid=signed-copy-link]").count() == 1
    card = registrar.locator("[data-testid=register-card]")
    card.locator("[name=verified_tech_amount]").fill("1300000")
    card.locator("[name=reason]").fill("合同价款含20万元设备调试费，不属于技术性收入，予以核减。")
    screenshot(registrar, "contract-verify")
    registrar.once("dialog", lambda dialog: dialog.accept())
    card.locator("button[type=submit]").click()
    registrar.wait_for_url(contract_url)
    assert registrar.get_attribute("[data-status]", "data-status") == "registered"
    assert registrar.inner_text("[data-testid=tech-amount]") == "1,500,000.00元"
    assert "1,300,000.00元" in registrar.inner_text("[data-testid=verified-tech-amount]")
    history = registrar.locator("[data-testid=history]")
    assert "设备调试费" in history.locator("li:has([data-field=verified_tech_amount])").inner_text()
    number = registrar.inner_text("[data-testid=registration-no]")
    code = registrar.inner_text("[data-testid=verification-code]")
    assert re.fullmatch(rf"{local_today().year}330200\d{{6}}", number)

    # The certificate opens as a PDF whose text carries the number and the Chinese title.
    response = registrar.request.get(
        url + registrar.get_attribute("[data-testid=certificate-link]", "href")
    )
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "登记号" in text and number in text and TITLE in text and code in text

    # Anyone can check it, without signing in …
    public = new_page()
    public.goto(f"{url}/registrations/verify")
    public.fill("#no", number)
    public.fill("#code", code.lower())
    public.click("main form button[type=submit]")
    result = public.locator("[data-testid=verify-result]")
    assert result.get_attribute("data-status") == "valid"
    assert TITLE in result.inner_text() and "温州储能" not in public.content()
    screenshot(public, "certificate-verified")

    # … and after the registration is voided, the same check says void, with the date.
    registrar.fill("form[action$='/void'] textarea[name=reason]", "双方协议解除，申请撤销登记。")
    registrar.click("form[action$='/void'] button")
    registrar.wait_for_url(contract_url)
    assert registrar.get_attribute("[data-status]", "data-status") == "void"
    public.reload()
    result = public.locator("[data-testid=verify-result]")
    assert result.get_attribute("data-status") == "void"
    assert local_today().isoformat() in result.inner_text()
