"""The money rules of a voucher, as pure functions over Decimal amounts (no database)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from marketplace.vouchers.models import VoucherScheme

FEN = Decimal("0.01")


def ratio_share(scheme: VoucherScheme, cost: Decimal) -> Decimal:
    """What a voucher of ``scheme`` may pay of a service costing ``cost``, before caps.

    Below the full-offset threshold the whole cost is paid; otherwise ``ratio × cost``,
    rounded down to the fen so the voucher never pays a fen more than the ratio allows.
    """
    if cost <= 0:
        return Decimal("0.00")
    if scheme.full_offset_below is not None and cost < scheme.full_offset_below:
        return cost.quantize(FEN)
    return (cost * scheme.ratio_percent / 100).quantize(FEN, rounding=ROUND_DOWN)


def payable(scheme: VoucherScheme, cost: Decimal, limit: Decimal) -> Decimal:
    """The voucher's part of ``cost``: the ratio share, never above ``limit`` (the amount the
    voucher was ordered for, itself within the scheme's caps)."""
    return min(ratio_share(scheme, cost), limit)


def in_region(org_region: str | None, eligible: list[str]) -> bool:
    """Whether ``org_region`` lies in one of the ``eligible`` codes (a province covers its
    cities, a city its districts); an empty list admits every region."""
    if not eligible:
        return True
    if not org_region:
        return False
    for code in eligible:
        prefix = code.rstrip("0")
        # Keep whole two-digit levels: 330000 → "33", 330300 → "3303".
        prefix = prefix + "0" * (len(prefix) % 2)
        if org_region.startswith(prefix):
            return True
    return False
