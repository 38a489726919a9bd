"""Auction KPIs reconcile with the lots; the dashboard and the XLSX export show them."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from marketplace.auctions import bidding
from marketplace.auctions.kpis import lot_kpis
from marketplace.contracts import services as contract_services
from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ
from tests.auctions.conftest import bidding_lot, travel
from tests.conftest import login
from tests.factories import AchievementFactory, attach_signed_copy

AUCTION_LOTS_SHEET = "竞价标的明细"  # "Auction lots" in the default zh_CN interface


def _sell(market, price: str | None, **kwargs):
    lot = bidding_lot(market, achievement=AchievementFactory(org=market.owner.org), **kwargs)
    if price:
        bidding.place_bid(market.rival, lot.id, "100000")
        if price != "100000":
            bidding.place_bid(market.bidder, lot.id, price)
    return travel(lot, timedelta(days=2))


def test_kpis_reconcile_with_lots(client, market):
    sold = _sell(market, "150000")  # premium 50 %
    at_start = _sell(market, "100000")  # premium 0 %
    unsold = _sell(market, None)  # nobody bid: 流拍
    assert (sold.status, at_start.status, unsold.status) == ("sold", "sold", "unsold")
    attach_signed_copy(db.session.get(Contract, sold.contract_id))
    contract_services.submit_contract(market.broker, sold.contract_id)
    contract_services.register_contract(market.admin, sold.contract_id)

    kpis = lot_kpis(market.admin, utcnow().astimezone(LOCAL_TZ).year)
    assert (kpis.lots, kpis.sold, kpis.unsold) == (3, 2, 1)
    assert kpis.unsold_rate == Decimal(1) / Decimal(3)
    assert kpis.premium_rate == Decimal("0.25")  # 50,000 over 200,000 of start prices
    assert kpis.mean_premium_rate == Decimal("0.25")
    assert kpis.bidders_per_lot == Decimal(2)
    assert kpis.registered_share == Decimal("0.5")

    login(client, market.admin)
    page = client.get(f"/admin/stats?year={kpis.year}").get_data(as_text=True)
    assert 'data-kpi="premium_rate">25.00%' in page
    assert f'data-premium="{sold.id}">50.00%' in page
    book = load_workbook(io.BytesIO(client.get(f"/admin/stats/export.xlsx?year={kpis.year}").data))
    # The auction sheets come before the voucher sheets; their titles are translated.
    lots = book.worksheets[book.sheetnames.index(AUCTION_LOTS_SHEET)]
    assert lots.max_row == 4 and lots.cell(row=2, column=7).value in (0.5, 0.0)
