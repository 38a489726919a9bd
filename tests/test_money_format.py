"""The one money formatter: 万元 for prices and statistics, 元 on contracts, 亿元 headlines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from marketplace.money import format_headline, format_stats_number, format_wan, format_yuan


@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        ("1500000.00", "150.00万元", "CNY\u00a01.5 million"),
        ("125000.00", "12.50万元", "CNY\u00a0125,000"),
        ("5000.00", "0.50万元", "CNY\u00a05,000"),
        ("2345678901.00", "234,567.89万元", "CNY\u00a02.35 billion"),
    ],
)
def test_listing_prices_and_figures(app, amount, zh, en):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert format_wan(Decimal(amount)) == zh
        with force_locale("en"):
            assert format_wan(Decimal(amount)) == en


def test_negotiable_price(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert format_wan(None) == "面议"


def test_headline_switches_to_yi_past_one_hundred_million(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert format_headline(Decimal("99999999.00")) == "10,000.00万元"
        assert format_headline(Decimal("438166000.00")) == "4.38亿元"


def test_contract_amounts_are_full_yuan_with_separators(app):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert format_yuan(Decimal("1200000")) == "1,200,000.00元"
            # The audit history keeps JSON decimal strings: same format.
            assert format_yuan("1160000.00") == "1,160,000.00元"
        with force_locale("en"):
            assert format_yuan(Decimal("1200000")) == "CNY\u00a01,200,000.00"


def test_statistics_cells_are_numbers_in_the_column_unit(app):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert format_stats_number(Decimal("43816600.00")) == "4,381.66"
        with force_locale("en"):
            assert format_stats_number(Decimal("43816600.00")) == "43.82"
