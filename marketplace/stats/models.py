"""Statistics rollup cells, the per-contract ledger, annual targets and the freshness record.

Design (see docs/performance.md, "Statistics"): a rollup keyed by every dimension at once
(month × type × field × seller region × buyer region × seller kind × buyer kind × broker) holds
almost one cell per contract at a million contracts (measured: 626,000 distinct keys without the
broker), so it is no faster to read than the contracts themselves. Instead each registered
contract adds to one cell per *side* and *dimension*. On the seller side (**输出**, filed under
the seller's region, where contracts are registered) it counts once in the total
(``dim='all'``), once by type, field, seller kind and buyer kind (monthly), and once by
counterpart region, broker and organisation (yearly, ``month=0``). On the buyer side (**吸纳**,
filed under the buyer's region) it counts in the total and by counterpart region. Every figure
the dashboard shows is then a read of at most a few thousand rows.
Statistics are by signing date (``signed_on``), over registered (not void) contracts only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.contracts.models import Contract
from marketplace.database import Money, TimestampMixin, UTCDateTime, in_codes
from marketplace.extensions import Model

SIDES = ("seller", "buyer")
MONTHLY_DIMS = ("all", "type", "field", "seller_kind", "buyer_kind")
YEARLY_DIMS = ("counterpart", "broker", "org")
DIMS = MONTHLY_DIMS + YEARLY_DIMS
# The buyer side (吸纳) is reported as totals and flows; breakdowns are of 输出.
SIDE_DIMS = {"seller": DIMS, "buyer": ("all", "counterpart")}


class StatsCell(Model):
    """One rollup cell: registered contracts of one side/region/dimension value in a period.

    ``month`` 1–12 for monthly dimensions, 0 for the whole year (yearly dimensions). Missing
    values (a contract without a field, broker or region) are filed under ``''`` so that the
    key never holds NULL: a primary key and ``INSERT … ON CONFLICT`` then work on every backend.
    """

    __tablename__ = "stats_cells"
    __table_args__ = (
        sa.CheckConstraint(in_codes("side", SIDES), name="side"),
        sa.CheckConstraint(in_codes("dim", DIMS), name="dim"),
        sa.CheckConstraint(
            f"side = 'seller' OR {in_codes('dim', SIDE_DIMS['buyer'])}", name="side_dim"
        ),
        sa.CheckConstraint(
            f"(month BETWEEN 1 AND 12 AND {in_codes('dim', MONTHLY_DIMS)}) OR "
            f"(month = 0 AND {in_codes('dim', YEARLY_DIMS)})",
            name="period",
        ),
        sa.CheckConstraint("contracts > 0", name="contracts"),
        sa.CheckConstraint("contract_amount >= 0 AND tech_amount >= 0", name="amounts"),
    )

    # Key order follows the dashboard's reads: one side and dimension, a year, a region prefix.
    side: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    region: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    month: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    contracts: Mapped[int] = mapped_column(sa.Integer)
    contract_amount: Mapped[Decimal] = mapped_column(Money())
    tech_amount: Mapped[Decimal] = mapped_column(Money())


class StatsContractKey(Model):
    """The dimensions a contract was last counted under by the incremental update.

    Registered contracts are never edited, but a contract voided and registered again gets its
    parties' regions and kinds copied afresh; remembering the old key lets the update refresh the
    cells the contract leaves as well as those it joins.
    """

    __tablename__ = "stats_contract_keys"

    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    signed_on: Mapped[date] = mapped_column(sa.Date)
    type: Mapped[str] = mapped_column(sa.String(20))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    seller_region: Mapped[str | None] = mapped_column(sa.String(6))
    buyer_region: Mapped[str | None] = mapped_column(sa.String(6))
    seller_kind: Mapped[str | None] = mapped_column(sa.String(20))
    buyer_kind: Mapped[str | None] = mapped_column(sa.String(20))
    broker_id: Mapped[int | None] = mapped_column(sa.Integer)
    seller_org_id: Mapped[int] = mapped_column(sa.Integer)
    buyer_org_id: Mapped[int] = mapped_column(sa.Integer)


class StatsState(Model):
    """Single row: when the rollup last changed and when it was last rebuilt in full."""

    __tablename__ = "stats_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    full_recompute_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StatsTarget(TimestampMixin, Model):
    """An annual target for a region's 输出 (contracts registered there) or the platform ('')."""

    __tablename__ = "stats_targets"
    __table_args__ = (
        sa.UniqueConstraint("year", "region", name="uq_stats_targets_year_region"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
        sa.CheckConstraint("contract_amount > 0", name="contract_amount"),
        sa.CheckConstraint("contract_count IS NULL OR contract_count > 0", name="contract_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    region: Mapped[str] = mapped_column(sa.String(6), default="")
    contract_amount: Mapped[Decimal] = mapped_column(Money())
    contract_count: Mapped[int | None] = mapped_column(sa.Integer)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


# The incremental update recomputes one side/region/year at a time from the contracts; these
# indexes make that a range scan of one region's year instead of a scan of the year.
sa.Index("ix_contracts_stats_seller", Contract.status, Contract.seller_region, Contract.signed_on)
sa.Index("ix_contracts_stats_buyer", Contract.status, Contract.buyer_region, Contract.signed_on)
# Both counterpart cells of a contract (输出 to the buyer's region, 吸纳 from the seller's) are
# the contracts between one pair of regions in a year.
sa.Index(
    "ix_contracts_stats_pair",
    Contract.status,
    Contract.seller_region,
    Contract.buyer_region,
    Contract.signed_on,
)

__all__ = [
    "DIMS",
    "MONTHLY_DIMS",
    "SIDES",
    "SIDE_DIMS",
    "YEARLY_DIMS",
    "StatsCell",
    "StatsContractKey",
    "StatsState",
    "StatsTarget",
]
