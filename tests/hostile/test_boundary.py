"""The request boundary's rules in isolation: column ranges from the models, the JSON limits."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.boundary import JSONInputError, JSONLimits, integer_ranges, parse_json
from marketplace.extensions import db

LIMITS = JSONLimits(max_bytes=10_000, max_depth=4, max_values=50, max_number_chars=12)
INT32 = (-(2**31), 2**31 - 1)


def test_ranges_come_from_every_model_the_narrowest_winning(app: Any) -> None:
    ranges = integer_ranges(db.metadata)
    assert ranges["id"] == INT32  # BIGINT on the outbox, INTEGER elsewhere
    assert ranges["deal_id"] == INT32
    assert ranges["outbox_id"] == (-(2**63), 2**63 - 1)
    assert ranges["maturity"] == (-(2**15), 2**15 - 1)
    assert "price" not in ranges  # Money parses and bounds its own input


def test_a_feature_added_later_is_covered_without_naming_it() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "auction_lots",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("voucher_id", sa.Integer),
        sa.Column("rounds", sa.SmallInteger),
    )
    assert integer_ranges(metadata) == {
        "id": (-(2**63), 2**63 - 1),
        "voucher_id": INT32,
        "rounds": (-(2**15), 2**15 - 1),
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"a": "x\\u0000"}', "a"),
        (b'{"a": ["ok", "\\udc00"]}', "a.1"),
        (b'{"deal_id": 2147483648}', "deal_id"),
        (b'{"deal_id": "2147483648"}', "deal_id"),
        (b'{"deal_id": 2147483648.0}', "deal_id"),
        (b'{"x": {"broker_id": -2147483649}}', "x.broker_id"),
        (b'{"n": 9223372036854775808}', "n"),  # past BIGINT, whatever the field
        (b'{"n": 1234567890123}', "n"),  # longer than the number limit
        (b'{"n": NaN}', "n"),
        (b'{"n": 1e999}', "n"),
    ],
)
def test_unusable_values_are_named(app: Any, raw: bytes, field: str) -> None:
    with pytest.raises(JSONInputError) as caught:
        parse_json(raw, LIMITS, integer_ranges(db.metadata))
    assert not caught.value.structural
    assert field in caught.value.fields


@pytest.mark.parametrize(
    "raw",
    [
        b"[[[[[1]]]]]",
        b'{"a": {"b": {"c": {"d": {"e": 1}}}}}',
        b"[" + b"1," * 60 + b"1]",
        b"x" * 10_001,
        b"\xff",
        b'{"a": ',
        b"[" * 100_000,
    ],
)
def test_structural_problems(raw: bytes) -> None:
    with pytest.raises(JSONInputError) as caught:
        parse_json(raw, LIMITS)
    assert caught.value.structural


def test_ordinary_bodies_pass_untouched(app: Any) -> None:
    body = (
        b'{"deal_id": 2147483647, "title": "\\u77f3\\u58a8\\u70ef \\ud83d\\ude00", '
        b'"amount": "100000.00", "n": 12.5, "items": [[1, 2], {"k": null}]}'
    )
    assert parse_json(body, LIMITS, integer_ranges(db.metadata)) == {
        "deal_id": 2**31 - 1,
        "title": "石墨烯 😀",
        "amount": "100000.00",
        "n": 12.5,
        "items": [[1, 2], {"k": None}],
    }


def test_a_prefixed_form_field_is_checked_against_its_column(
    client: Any, users: Any, login_as: Any
) -> None:
    login_as(users["admin"])
    response = client.post("/deals/1/assign", data={"assign-broker_id": "2147483648"})
    assert response.status_code == 422
    assert "assign-broker_id: " in response.get_data(as_text=True)
