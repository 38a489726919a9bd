"""Auction KPIs for the statistics dashboard and export, computed from the lots themselves.

Premium rate 溢价率 = (sale − start) / start; per session it is Σ(sale − start) / Σ start over the
session's sold lots. 流拍 rate = unsold / (sold + unsold). Lots count in the year they closed
(Beijing time); withdrawn lots are not results and count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.auctions.models import Lot, LotBidder, LotSession
from marketplace.auctions.vocab import LOT_STATUSES
from marketplace.contracts.models import Contract
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ
from marketplace.xlsx import keep_as_text


@dataclass(frozen=True)
class LotRow:
    lot_id: int
    title: str
    session: str
    status: str
    start_price: Decimal
    sale_price: Decimal | None
    premium_rate: Decimal | None
    bidders: int
    registered: bool


@dataclass(frozen=True)
class SessionRow:
    title: str
    lots: int
    sold: int
    premium_rate: Decimal | None


@dataclass(frozen=True)
class AuctionKpis:
    year: int
    lots: int
    sold: int
    unsold: int
    unsold_rate: Decimal | None
    premium_rate: Decimal | None
    mean_premium_rate: Decimal | None
    bidders_per_lot: Decimal | None
    registered_share: Decimal | None
    by_lot: list[LotRow]
    by_session: list[SessionRow]


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    return None if not denominator else Decimal(numerator) / Decimal(denominator)


def _premium(rows: list[LotRow]) -> Decimal | None:
    sold = [row for row in rows if row.sale_price is not None]
    start = sum((row.start_price for row in sold), Decimal(0))
    gain = sum(
        (row.sale_price - row.start_price for row in sold if row.sale_price is not None), Decimal(0)
    )
    return _ratio(gain, start)


def lot_kpis(actor: User, year: int) -> AuctionKpis:
    """The auction KPIs of lots closed in ``year`` (admins)."""
    require_role(actor, "admin")
    begin = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    bidders = (
        sa.select(sa.func.count())
        .where(LotBidder.lot_id == Lot.id, LotBidder.status == "approved")
        .correlate(Lot)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Lot, LotSession.title, Contract.status, bidders)
        .outerjoin(LotSession, LotSession.id == Lot.session_id)
        .outerjoin(Contract, Contract.id == Lot.contract_id)
        .where(Lot.status.in_(("sold", "unsold")), Lot.closed_at >= begin, Lot.closed_at < end)
        .order_by(Lot.closed_at, Lot.id)
    ).all()
    by_lot = [
        LotRow(
            lot.id,
            lot.title,
            session or "",
            lot.status,
            lot.start_price,
            lot.sale_price,
            lot.premium_rate,
            count,
            contract_status == "registered",
        )
        for lot, session, contract_status, count in rows
    ]
    sold = [row for row in by_lot if row.status == "sold"]
    sessions: dict[str, list[LotRow]] = {}
    for row in by_lot:
        if row.session:
            sessions.setdefault(row.session, []).append(row)
    premiums = [row.premium_rate for row in sold if row.premium_rate is not None]
    return AuctionKpis(
        year=year,
        lots=len(by_lot),
        sold=len(sold),
        unsold=len(by_lot) - len(sold),
        unsold_rate=_ratio(len(by_lot) - len(sold), len(by_lot)),
        premium_rate=_premium(by_lot),
        mean_premium_rate=_ratio(sum(premiums, Decimal(0)), len(premiums)),
        bidders_per_lot=_ratio(sum(row.bidders for row in by_lot), len(by_lot)),
        registered_share=_ratio(sum(1 for row in sold if row.registered), len(sold)),
        by_lot=by_lot,
        by_session=[
            SessionRow(
                title, len(items), sum(1 for r in items if r.status == "sold"), _premium(items)
            )
            for title, items in sessions.items()
        ],
    )


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def add_kpi_sheets(book: Workbook, kpis: AuctionKpis) -> None:
    """Two sheets for the statistics export: the headline KPIs and one row per lot."""
    summary = book.create_sheet(title=_("Auctions")[:31])
    summary.append([_("Figure"), _("Value")])
    for label, value, percent in [
        (_("Lots with a result"), kpis.lots, False),
        (_("Sold"), kpis.sold, False),
        (_("Unsold"), kpis.unsold, False),
        (_("Unsold rate"), _rate(kpis.unsold_rate), True),
        (_("Premium rate (all sold lots)"), _rate(kpis.premium_rate), True),
        (_("Mean premium rate per lot"), _rate(kpis.mean_premium_rate), True),
        (_("Qualified bidders per lot"), _rate(kpis.bidders_per_lot), False),
        (_("Sold lots with a registered contract"), _rate(kpis.registered_share), True),
    ]:
        summary.append([label, value])
        if percent:
            summary.cell(row=summary.max_row, column=2).number_format = "0.00%"
    for session in kpis.by_session:
        summary.append([_("Session: %(title)s", title=session.title), _rate(session.premium_rate)])
        summary.cell(row=summary.max_row, column=2).number_format = "0.00%"
    lots = book.create_sheet(title=_("Auction lots")[:31])
    lots.append(
        [
            _("Lot"),
            _("Title"),
            _("Session"),
            _("Status"),
            _("Start price"),
            _("Sale price"),
            _("Premium rate"),
            _("Qualified bidders"),
            _("Contract registered"),
        ]
    )
    for row in kpis.by_lot:
        lots.append(
            [
                row.lot_id,
                row.title,
                row.session,
                LOT_STATUSES.label(row.status),
                row.start_price,
                row.sale_price,
                _rate(row.premium_rate),
                row.bidders,
                _("yes") if row.registered else _("no"),
            ]
        )
        keep_as_text(lots[lots.max_row])  # lot and session titles come from users
        lots.cell(row=lots.max_row, column=7).number_format = "0.00%"
        for column in (5, 6):
            lots.cell(row=lots.max_row, column=column).number_format = "#,##0.00"
