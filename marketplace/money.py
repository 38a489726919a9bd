"""Strict parsing and display of CNY amounts (Decimal, exact to the fen)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _

MAX_AMOUNT = Decimal("1000000000000.00")  # 10^12 元: more than any single technology contract
_AMOUNT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> int:
    """An amount in yuan (at most two decimals) as the integer fen the database stores. The one
    place, with ``from_fen``, where yuan and fen are converted."""
    return int(amount * 100)


def from_fen(fen: int | Decimal | None) -> Decimal:
    """Integer fen (a stored amount, or a SUM of them) as yuan; 0.00 for no rows."""
    return (Decimal(int(fen or 0)) / 100).quantize(FEN)


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


# One formatter for every amount the interface shows. Chinese readers count money in 万 and 亿,
# English readers in thousands, millions and billions: the rules differ, not only the words, so
# each language has its own branch rather than a translated pattern (the English strings below
# are that branch's output, never shown in Chinese, so they are not in the catalogue).
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
MILLION = Decimal(1_000_000)
BILLION = Decimal(1_000_000_000)
_CENT = Decimal("0.01")


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _as_amount(amount: Decimal | str | int | None) -> Decimal | None:
    # Audit history keeps amounts as the JSON decimal strings; show those the same way.
    if amount is None or amount == "":
        return None
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def _trimmed(value: Decimal) -> str:
    """``1.50`` → ``1.5``, ``2.00`` → ``2``, with thousands separators."""
    text = f"{value.quantize(_CENT):,.2f}"
    return text.rstrip("0").rstrip(".")


# "CNY" and its number never part; a line may break before "million" on a narrow screen.
_CNY = "CNY\u00a0"


def _english_amount(amount: Decimal) -> str:
    if amount >= BILLION:
        return f"{_CNY}{_trimmed(amount / BILLION)} billion"
    if amount >= MILLION:
        return f"{_CNY}{_trimmed(amount / MILLION)} million"
    return f"{_CNY}{_trimmed(amount)}"


def format_wan(amount: Decimal | str | None, negotiable: str | None = None) -> str:
    """A listing price or statistics figure: ``150.00万元`` / ``CNY 1.5 million``.

    ``None`` is a negotiable price (面议), or ``negotiable`` when the caller names it otherwise.
    """
    value = _as_amount(amount)
    if value is None:
        return negotiable if negotiable is not None else _("Negotiable")
    if _english():
        return _english_amount(value)
    return f"{(value / WAN).quantize(_CENT):,.2f}万元"


def format_headline(amount: Decimal | str | None) -> str:
    """A headline figure: in 亿元 once it passes 1亿, else as :func:`format_wan`."""
    value = _as_amount(amount)
    if value is not None and value >= YI and not _english():
        return f"{(value / YI).quantize(_CENT):,.2f}亿元"
    return format_wan(value, negotiable="—")


def format_yuan(amount: Decimal | str | None) -> str:
    """A contract or line-item amount to the fen: ``1,200,000.00元`` / ``CNY 1,200,000.00``."""
    value = _as_amount(amount)
    if value is None:
        return ""
    text = f"{value.quantize(_CENT):,.2f}"
    return f"{_CNY}{text}" if _english() else f"{text}元"


def stats_unit() -> str:
    """The unit of statistics table columns and chart axes (万元, or CNY million in English)."""
    return "CNY million" if _english() else "万元"


def stats_number(amount: Decimal | None) -> Decimal:
    """An amount in :func:`stats_unit`, to two decimals (a table cell or a chart value)."""
    value = amount or Decimal(0)
    return (value / (MILLION if _english() else WAN)).quantize(_CENT)


def format_stats_number(amount: Decimal | None) -> str:
    """A statistics table cell: the number in :func:`stats_unit`, with separators."""
    return f"{stats_number(amount):,.2f}"
