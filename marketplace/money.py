"""Strict parsing and display of CNY amounts (Decimal, exact to the fen)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

MAX_AMOUNT = Decimal("1000000000000.00")  # 10^12 元: more than any single technology contract
_AMOUNT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


class MoneyError(ValueError):
    """The text is not an amount of CNY with at most two decimals."""


def parse_money(value: object, *, allow_zero: bool = True) -> Decimal | None:
    """Turn user input into a ``Decimal`` amount, or ``None`` for empty input.

    Only plain decimal notation is accepted: no sign, exponent, NaN or Infinity, at most two
    decimals (fen) and at most ``MAX_AMOUNT`` — ``Decimal()`` alone would accept all of those.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise MoneyError(_("Enter an amount in yuan, such as 12000 or 12000.50."))
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, float):
        # Floats have already lost exactness; accept only those that print as plain amounts.
        value = repr(value)
    if isinstance(value, Decimal):
        value = format(value, "f") if value.is_finite() else "invalid"
    if not isinstance(value, str):
        raise MoneyError(_("Enter an amount in yuan, such as 12000 or 12000.50."))
    text = value.strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    if text.startswith("-"):
        raise MoneyError(_("The amount cannot be negative."))
    if not _AMOUNT.match(text):
        if re.match(r"^\d+\.\d{3,}$", text):
            raise MoneyError(_("Amounts have at most two decimal places (fen)."))
        raise MoneyError(_("Enter an amount in yuan, such as 12000 or 12000.50."))
    amount = Decimal(text).quantize(Decimal("0.01"))
    if amount > MAX_AMOUNT:
        raise MoneyError(_("The amount is larger than any contract this platform accepts."))
    if not allow_zero and amount == 0:
        raise MoneyError(_("The amount must be greater than zero."))
    return amount


def money_str(amount: Decimal | None) -> str | None:
    """The JSON form of an amount: a decimal string with two places, or ``None``."""
    return None if amount is None else format(amount.quantize(Decimal("0.01")), "f")


def format_wan(amount: Decimal | None, negotiable: str | None = None) -> str:
    """Show an amount in 万元 (10,000 yuan), the unit Chinese listings use."""
    if amount is None:
        return negotiable if negotiable is not None else _("Negotiable")
    wan = (amount / Decimal(10000)).quantize(Decimal("0.01"))
    text = f"{wan:,.2f}".rstrip("0").rstrip(".")
    return _("%(amount)s ten-thousand yuan", amount=text)


def format_yuan(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"¥{amount:,.2f}"
