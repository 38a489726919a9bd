"""Marshmallow fields shared by the JSON serialisers of the feature packages and the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from marketplace.money import MoneyError, money_str, parse_money


class MoneyField(fields.Field):
    """CNY as a decimal string ("12000.50"); NaN, Infinity, exponents and fractions of a fen
    are refused with a message."""

    def _serialize(
        self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return money_str(value)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Decimal | None:
        try:
            return parse_money(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from error


class IsoFormat(fields.String):
    """A date or datetime as ``isoformat()`` writes it (``None`` stays null): the exact text
    the API has always sent."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value.isoformat())


def timestamp_field(**kwargs: Any) -> IsoFormat:
    """An aware datetime ("2026-05-01T08:30:00+00:00")."""
    return IsoFormat(metadata={"format": "date-time"}, **kwargs)


def date_field(**kwargs: Any) -> IsoFormat:
    """A calendar date ("2026-05-01")."""
    return IsoFormat(metadata={"format": "date"}, **kwargs)


class ListOrEmpty(fields.List):
    """A JSON list column: a missing value (``None``) is sent as ``[]``."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any] | None:
        return super()._serialize(list(value or []), attr, obj, **kwargs)
