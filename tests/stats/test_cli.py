"""``marketplace stats recompute`` and ``marketplace stats check``."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.stats import services
from tests.stats.helpers import register_contract, void_contract

TODAY = date.today()


def test_check_passes_after_registrations_and_voids(app):
    first = register_contract(amount="10.00", tech="5.00")
    register_contract(amount="20.00", tech="5.00", signed_on=date(TODAY.year - 1, 12, 31))
    void_contract(first)
    services.drain_updates()
    result = app.test_cli_runner().invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output
    assert "every cell matches" in result.output


def test_check_fails_and_names_the_altered_cell(app):
    register_contract(amount="10.00", tech="5.00", type="license", subtype="patent")
    services.drain_updates()
    db.session.execute(
        sa.text(
            "UPDATE stats_cells SET contracts = 2 WHERE side = 'seller' "
            "AND dim = 'type' AND value = 'license'"
        )
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "check"])
    assert result.exit_code == 1
    assert (
        f"{TODAY.year}-{TODAY.month:02d} seller region=330100 type=license: rollup has 2 contracts"
    ) in result.stderr
    assert "1 cell(s) differ" in result.stderr


def test_check_reports_a_missing_cell_and_recompute_repairs_it(app):
    register_contract(amount="10.00", tech="5.00")
    services.drain_updates()
    db.session.execute(sa.text("DELETE FROM stats_cells WHERE dim = 'broker'"))
    db.session.commit()
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["stats", "check"])
    assert failed.exit_code == 1 and "broker=(none): rollup has missing" in failed.stderr

    rebuilt = runner.invoke(args=["stats", "recompute"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "10 cells rebuilt" in rebuilt.stdout
    assert runner.invoke(args=["stats", "check"]).exit_code == 0


def test_check_mentions_queued_updates(app):
    register_contract()  # not drained yet
    result = app.test_cli_runner().invoke(args=["stats", "check"])
    assert result.exit_code == 1
    assert "still queued" in result.stderr
