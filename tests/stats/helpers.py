"""Helpers for statistics tests: register and void contracts the way the contracts service does."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.outbox import enqueue
from tests.factories import ContractFactory, OrganisationFactory

_numbers = itertools.count(1)


def register_contract(
    *,
    seller: Any = None,
    buyer: Any = None,
    signed_on: date | None = None,
    amount: str = "1000000.00",
    tech: str = "800000.00",
    **fields: Any,
) -> Contract:
    """A registered contract with its parties' regions and kinds copied, and its stats message
    enqueued in the same transaction."""
    seller = seller or OrganisationFactory(kind="university", region="330100")
    buyer = buyer or OrganisationFactory(kind="enterprise", region="330300")
    signed = signed_on or date.today()
    contract = ContractFactory.build(
        seller_org=seller,
        buyer_org=buyer,
        signed_on=signed,
        status="registered",
        contract_amount=Decimal(amount),
        tech_amount=Decimal(tech),
        registration_no=f"{signed.year}{seller.region or '000000'}{next(_numbers):06d}",
        registered_at=utcnow(),
        seller_region=seller.region,
        seller_kind=seller.kind,
        buyer_region=buyer.region,
        buyer_kind=buyer.kind,
        **fields,
    )
    db.session.add(contract)
    db.session.flush()
    enqueue("stats", {"contract_id": contract.id})
    db.session.commit()
    return contract


def void_contract(contract: Contract) -> None:
    contract.status = "void"
    contract.void_reason = "signed in error"
    contract.voided_at = utcnow()
    enqueue("stats", {"contract_id": contract.id})
    db.session.commit()
