"""At phone width (390×844) the statistics dashboard, the contract list and the broker
workspace keep every cell readable: no label squeezed to one character per line, no number
broken, and the page itself never scrolls sideways (wide tables scroll inside their card)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from marketplace.contracts.services import local_today
from marketplace.stats import services as stats_services
from tests.e2e.conftest import PHONE, screenshot, sign_in
from tests.e2e.layout import page_overflows, squeezed_cells
from tests.factories import PASSWORD, ContractFactory, OrganisationFactory
from tests.stats.helpers import register_contract

pytestmark = pytest.mark.e2e

REGIONS = [
    ("浙江大学", "330100", "university"),
    ("温州医科大学", "330300", "university"),
    ("宁波材料技术与工程研究所", "330200", "institute"),
    ("内蒙古自治区鄂尔多斯市某能源研究院", "150600", "institute"),
]


def _contracts(broker: Any) -> None:
    today = local_today()
    buyers = [
        OrganisationFactory(name=f"{name}智能装备有限公司", kind="enterprise", region=code)
        for name, code in (("杭州", "330100"), ("新疆维吾尔自治区克拉玛依", "650200"))
    ]
    for index, (name, region, kind) in enumerate(REGIONS):
        seller = OrganisationFactory(name=name, kind=kind, region=region)
        register_contract(
            seller=seller,
            buyer=buyers[index % 2],
            signed_on=today,
            amount=f"{123456789 + index * 1000000}.12",
            tech="98765432.10",
            broker_id=broker.id,
            title=f"高性能锂电池正极材料制备技术转让合同{index}",
        )
    ContractFactory(
        broker_id=broker.id,
        title="污水处理膜组件委托开发合同",
        contract_amount=Decimal("1200000.00"),
        tech_amount=Decimal("1160000.00"),
    )
    stats_services.drain_updates()


def test_tables_and_figures_stay_readable_at_phone_width(
    app: Any, worker_app: Any, start_server: Any, browser: Any, make_user: Any
) -> None:
    broker, admin = make_user("broker"), make_user("admin")
    _contracts(broker)
    server = start_server()
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, server, admin.email, PASSWORD)
        for path, name in (
            ("/admin/stats?region=330000", "phone-dashboard"),
            ("/contracts", "phone-contracts"),
        ):
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert squeezed_cells(page) == [], path
            assert not page_overflows(page), path
            screenshot(page, name)
        # Scrolled to the region tables: the picture that was one character per line.
        page.goto(server.url + "/admin/stats?region=330000")
        page.locator("[data-table=by_seller_region]").scroll_into_view_if_needed()
        screenshot(page, "phone-dashboard-regions")
        page.goto(server.url + "/broker")
        assert squeezed_cells(page) == []
        assert not page_overflows(page)
        screenshot(page, "phone-broker-workspace")
    finally:
        context.close()
    assert server.errors() == [], server.error_report()
