"""Monthly bulletins (简报) as produced, kept so a bureau can fetch what it sent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import Model


class Bulletin(Model):
    __tablename__ = "bulletins"
    __table_args__ = (
        sa.UniqueConstraint("year", "month", "region"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column()
    month: Mapped[int] = mapped_column()
    region: Mapped[str] = mapped_column(sa.String(6), default="")  # "" = the whole platform
    # The headline figures as printed (amounts as decimal strings), for lists and checks.
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    xlsx: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def month_amount(self, name: str) -> Decimal:
        """``contract_amount`` or ``tech_amount`` of the bulletin's month, as printed."""
        return Decimal(self.figures.get("month", {}).get(name) or "0")
