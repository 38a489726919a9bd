"""The monthly bulletin (简报): headline figures against the target, by type, field and region
(输出 / 吸纳), top brokers and institutions; as PDF and XLSX, kept in the ``bulletins`` table.

Month figures come from the statistics rollup (the cells ``marketplace stats check`` proves
against the contracts); the top lists are summed from the contracts themselves, year to date
through the bulletin's month.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from marketplace import vocab
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_role
from marketplace.contracts.models import Contract
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db
from marketplace.money import format_yuan, from_fen, money_str
from marketplace.pdf import Document, TableSpec
from marketplace.registry.models import Bulletin
from marketplace.registry.reports import Period, build_report, change
from marketplace.stats.models import StatsCell
from marketplace.stats.queries import Totals, find_target, in_region
from marketplace.stats.rollup import COUNTED_STATUS, counted_tech_amount
from marketplace.workdays import LOCAL_TZ
from marketplace.xlsx import MONEY_FORMAT, keep_as_text

TOP = 5


@dataclass(frozen=True)
class Line:
    label: str
    totals: Totals
    code: str = ""


@dataclass(frozen=True)
class BulletinData:
    year: int
    month: int
    region: str | None
    month_totals: Totals
    ytd: Totals
    month_last_year: Totals
    ytd_last_year: Totals
    target_amount: Decimal | None
    by_type: list[Line]
    by_field: list[Line]
    output_regions: list[Line]
    intake_regions: list[Line]
    top_brokers: list[Line]
    top_institutions: list[Line]

    @property
    def completion(self) -> Decimal | None:
        if not self.target_amount:
            return None
        return (self.ytd.contract_amount / self.target_amount).quantize(Decimal("0.0001"))

    def figures(self) -> dict[str, Any]:
        """The headline and by-type figures as stored with the bulletin (decimal strings)."""

        def pack(totals: Totals) -> dict[str, Any]:
            return {
                "contracts": totals.contracts,
                "contract_amount": money_str(totals.contract_amount),
                "tech_amount": money_str(totals.tech_amount),
            }

        return {
            "month": pack(self.month_totals),
            "ytd": pack(self.ytd),
            "month_last_year": pack(self.month_last_year),
            "ytd_last_year": pack(self.ytd_last_year),
            "target_amount": money_str(self.target_amount),
            "by_type": {line.code: pack(line.totals) for line in self.by_type},
        }


def _regions(side: str, year: int, month: int, region: str | None) -> list[Line]:
    rows = db.session.execute(
        sa.select(
            StatsCell.region,
            sa.func.sum(StatsCell.contracts),
            sa.func.sum(StatsCell.contract_amount),
            sa.func.sum(StatsCell.tech_amount),
        )
        .where(
            StatsCell.side == side,
            StatsCell.dim == "all",
            StatsCell.year == year,
            StatsCell.month == month,
            in_region(StatsCell.region, region),
        )
        .group_by(StatsCell.region)
        .order_by(sa.func.sum(StatsCell.contract_amount).desc(), StatsCell.region)
        .limit(10)
    ).all()
    return [
        Line(
            vocab.region_name(row[0]) or _("Region not recorded"),
            Totals(int(row[1] or 0), row[2] or Decimal(0), row[3] or Decimal(0)),
        )
        for row in rows
    ]


def _top(column: Any, year: int, month: int, region: str | None) -> list[tuple[int, Totals]]:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    rows = db.session.execute(
        sa.select(
            column,
            sa.func.count(),
            sa.func.sum(sa.type_coerce(Contract.contract_amount, sa.BigInteger)),
            sa.func.sum(sa.type_coerce(counted_tech_amount(), sa.BigInteger)),
        )
        .where(
            Contract.status == COUNTED_STATUS,
            column.is_not(None),
            Contract.signed_on >= date(year, 1, 1),
            Contract.signed_on < end,
            in_region(Contract.seller_region, region),
        )
        .group_by(column)
        .order_by(
            sa.func.sum(sa.type_coerce(Contract.contract_amount, sa.BigInteger)).desc(), column
        )
        .limit(TOP)
    ).all()
    return [(int(row[0]), Totals(int(row[1]), _yuan(row[2]), _yuan(row[3]))) for row in rows]


def _yuan(fen: int | None) -> Decimal:
    return from_fen(fen)


def collect(year: int, month: int, region: str | None = None) -> BulletinData:
    """Every figure of the bulletin for ``year``-``month``."""
    report = build_report(Period("month", year, month), region)
    brokers = _top(Contract.broker_id, year, month, region)
    users = {
        user.id: user
        for user in db.session.execute(
            sa.select(User).where(User.id.in_([i for i, _t in brokers]))
        ).scalars()
    }
    orgs_top = _top(Contract.seller_org_id, year, month, region)
    orgs = {
        org.id: org
        for org in db.session.execute(
            sa.select(Organisation).where(Organisation.id.in_([i for i, _t in orgs_top]))
        ).scalars()
    }
    target = find_target(year, region)
    return BulletinData(
        year=year,
        month=month,
        region=region,
        month_totals=report.total.period,
        ytd=report.total.ytd,
        month_last_year=report.total.period_last_year,
        ytd_last_year=report.total.ytd_last_year,
        target_amount=target.contract_amount if target else None,
        by_type=[
            Line(row.label, row.period, row.code) for row in report.by_type if row.period.contracts
        ],
        by_field=[
            Line(row.label, row.period, row.code) for row in report.by_field if row.period.contracts
        ],
        output_regions=_regions("seller", year, month, region),
        intake_regions=_regions("buyer", year, month, region),
        top_brokers=[Line(users[i].display_name if i in users else f"#{i}", t) for i, t in brokers],
        top_institutions=[Line(orgs[i].name if i in orgs else f"#{i}", t) for i, t in orgs_top],
    )


# -- rendering --------------------------------------------------------------------------------


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _rows(lines: list[Line]) -> list[list[str]]:
    return [
        [
            line.label,
            str(line.totals.contracts),
            format_yuan(line.totals.contract_amount),
            format_yuan(line.totals.tech_amount),
        ]
        for line in lines
    ]


def _scope(data: BulletinData) -> str:
    return vocab.region_name(data.region) if data.region else _("Whole platform")


def render_pdf(data: BulletinData) -> bytes:
    office = current_app.config["REGISTRY_OFFICE_NAME"]
    title = _("Technology contract bulletin %(year)s-%(month)02d", year=data.year, month=data.month)
    doc = Document(
        title, subtitle=f"{_scope(data)} · {office}", author=office, footer=office, compact=True
    )
    month_rows = [
        [_("Contracts registered (this month)"), str(data.month_totals.contracts)],
        [_("Contract amount (this month)"), format_yuan(data.month_totals.contract_amount)],
        [_("Technology amount (this month, verified)"), format_yuan(data.month_totals.tech_amount)],
        [
            _("Year on year, this month (同比)"),
            _pct(change(data.month_totals.contract_amount, data.month_last_year.contract_amount)),
        ],
    ]
    year_rows = [
        [_("Contracts, year to date"), str(data.ytd.contracts)],
        [_("Year to date (累计)"), format_yuan(data.ytd.contract_amount)],
        [
            _("Year on year, year to date"),
            _pct(change(data.ytd.contract_amount, data.ytd_last_year.contract_amount)),
        ],
    ]
    if data.target_amount:
        year_rows.append(
            [
                _("Annual target / completion"),
                f"{format_yuan(data.target_amount)} · {(data.completion or Decimal(0)) * 100:.1f}%",
            ]
        )
    pair: list[Any] = ["left", "right"]
    doc.table_pair(
        TableSpec(_("This month"), [_("Figure"), _("Value")], month_rows, pair, (3, 2)),
        TableSpec(_("Year to date"), [_("Figure"), _("Value")], year_rows, pair, (3, 2)),
        size=8.5,
    )
    header = [_("Item"), _("Contracts"), _("Contract amount"), _("Technology amount")]
    align: list[Any] = ["left", "right", "right", "right"]
    for heading, lines in (
        (_("By contract type"), data.by_type),
        (_("By technology field"), data.by_field),
    ):
        doc.heading(heading)
        if lines:
            doc.table(
                header,
                _rows(lines),
                align=align,
                col_widths=(4, 1.2, 2.4, 2.4),
                size=8,
                compact=True,
            )
        else:
            doc.paragraph(_("No registered contracts."), size=9, muted=True)
    short = [_("Item"), _("Contracts"), _("Contract amount")]
    short_align: list[Any] = ["left", "right", "right"]
    empty = _("No registered contracts.")

    def spec(title: str, lines: list[Line]) -> TableSpec:
        return TableSpec(
            title, short, [row[:3] for row in _rows(lines)], short_align, (3.2, 1.2, 2.6), empty
        )

    doc.table_pair(
        spec(_("Output by seller region (输出)"), data.output_regions[:TOP]),
        spec(_("Intake by buyer region (吸纳)"), data.intake_regions[:TOP]),
    )
    doc.table_pair(
        spec(_("Top brokers, year to date"), data.top_brokers),
        spec(_("Top institutions by output, year to date"), data.top_institutions),
    )
    doc.paragraph(
        _(
            "Registered, non-void contracts by signing date; technology amounts as "
            "verified at registration (核定). 输出 and 吸纳 overlap where both parties "
            "are in the same region."
        ),
        size=7,
        muted=True,
    )
    return doc.to_bytes()


def render_xlsx(data: BulletinData) -> bytes:
    book = Workbook()
    book.remove(book.active)
    summary = book.create_sheet(_("Summary")[:31])
    summary.append(
        [_("Figure"), _("Contracts"), _("Contract amount (yuan)"), _("Technology amount (yuan)")]
    )
    for label, totals in (
        (_("This month"), data.month_totals),
        (_("Year to date"), data.ytd),
        (_("Same month last year"), data.month_last_year),
        (_("Year to date last year"), data.ytd_last_year),
    ):
        summary.append([label, totals.contracts, totals.contract_amount, totals.tech_amount])
    if data.target_amount:
        summary.append([_("Annual target"), None, data.target_amount, None])
    sheets = (
        (_("By type"), data.by_type),
        (_("By field"), data.by_field),
        (_("Output regions"), data.output_regions),
        (_("Intake regions"), data.intake_regions),
        (_("Top brokers"), data.top_brokers),
        (_("Top institutions"), data.top_institutions),
    )
    for title, lines in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(
            [_("Item"), _("Contracts"), _("Contract amount (yuan)"), _("Technology amount (yuan)")]
        )
        for line in lines:
            sheet.append(
                [
                    line.label,
                    line.totals.contracts,
                    line.totals.contract_amount,
                    line.totals.tech_amount,
                ]
            )
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            keep_as_text(row[:1])  # names come from users
            for cell in row[2:4]:
                cell.number_format = MONEY_FORMAT
        sheet.column_dimensions["A"].width = 36
        for letter in "BCD":
            sheet.column_dimensions[letter].width = 20
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# -- use cases --------------------------------------------------------------------------------


def previous_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def produce_bulletin(year: int, month: int, *, actor: User | None = None) -> Bulletin:
    """Build (or rebuild) the bulletin of ``year``-``month`` and keep it."""
    if actor is not None:
        require_role(actor, "admin")
    today = datetime.now(LOCAL_TZ).date()
    if not (1985 <= year <= 2200 and 1 <= month <= 12) or date(year, month, 1) > today:
        raise ValidationError(fields={"month": _("Choose a month that has begun.")})
    data = collect(year, month)
    pdf, xlsx = render_pdf(data), render_xlsx(data)
    bulletin = db.session.execute(
        sa.select(Bulletin).where(
            Bulletin.year == year, Bulletin.month == month, Bulletin.region == ""
        )
    ).scalar_one_or_none()
    if bulletin is None:
        bulletin = Bulletin(year=year, month=month, region="")
        db.session.add(bulletin)
    bulletin.figures = data.figures()
    bulletin.pdf, bulletin.xlsx = pdf, xlsx
    bulletin.created_by_id = actor.id if actor is not None else None
    bulletin.created_at = datetime.now(LOCAL_TZ)
    db.session.commit()
    return bulletin


def list_bulletins(actor: User) -> list[Bulletin]:
    require_role(actor, "admin")
    return list(
        db.session.execute(
            sa.select(Bulletin).order_by(Bulletin.year.desc(), Bulletin.month.desc())
        ).scalars()
    )


def get_bulletin(actor: User, bulletin_id: int) -> Bulletin:
    require_role(actor, "admin")
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFound()
    return bulletin
