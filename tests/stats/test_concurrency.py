"""Two drainers at once still leave every cell equal to the contracts."""

from __future__ import annotations

import threading
from datetime import date

from marketplace.outbox import pending_count
from marketplace.stats import rollup, services
from tests.factories import OrganisationFactory
from tests.stats.helpers import register_contract, void_contract


def test_concurrent_drains_reconcile(app):
    seller = OrganisationFactory(kind="enterprise", region="330300")
    buyer = OrganisationFactory(kind="enterprise", region="330100")
    # Every contract lands in the same cells, so the two drainers contend for them.
    contracts = [
        register_contract(
            seller=seller,
            buyer=buyer,
            amount=f"{1000 + i}.00",
            tech="100.00",
            signed_on=date(2025, 6, 1),
        )
        for i in range(24)
    ]
    for contract in contracts[::3]:
        void_contract(contract)
    errors: list[BaseException] = []

    def drain() -> None:
        with app.app_context():
            try:
                services.drain_updates()
            except Exception as error:  # SQLite may refuse a stale writer; it is retried
                errors.append(error)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Whatever a refused writer left pending (or marked failed for retry) is drained again,
    # exactly as the periodic sweep would.
    while pending_count("stats"):
        services.drain_updates()
    assert rollup.check_rollup() == []
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert errors == []
