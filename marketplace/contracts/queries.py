"""Read side of contracts: who may see which contract, lists, history and the form's choices."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import require_user
from marketplace.contracts.models import Contract, ContractHistory
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db


def can_view(user: User, contract: Contract) -> bool:
    """Admins see all, brokers the contracts they are on, parties their own (read-only)."""
    if user.role == "admin":
        return True
    if user.role == "broker" and contract.broker_id == user.id:
        return True
    return user.org_id in (contract.seller_org_id, contract.buyer_org_id)


def can_change(user: User, contract: Contract) -> bool:
    """Who may edit or submit: admins, and the broker the contract is recorded under."""
    return user.role == "admin" or (user.role == "broker" and contract.broker_id == user.id)


def can_see_history(user: User, contract: Contract) -> bool:
    return can_change(user, contract)


def get_contract_for(actor: User, contract_id: int) -> Contract:
    """The contract if ``actor`` may see it; NotFound or PermissionDenied otherwise."""
    user = require_user(actor)
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    if not can_view(user, contract):
        raise PermissionDenied()
    return contract


def contract_for_update(user: User, contract_id: int) -> Contract:
    """The contract, row-locked on PostgreSQL, if ``user`` may change it."""
    contract = db.session.execute(
        sa.select(Contract)
        .where(Contract.id == contract_id)
        .with_for_update(of=Contract)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if contract is None:
        raise NotFound()
    if not can_change(user, contract):
        raise PermissionDenied()
    return contract


def contracts_of_deal(actor: User, deal_id: int) -> list[Contract]:
    """The contracts recorded for a deal, listed on the deal's page for brokers and
    administrators (the parties find their own under Contracts)."""
    user = require_user(actor)
    if user.role not in ("broker", "admin"):
        return []
    return list(
        db.session.execute(
            sa.select(Contract).where(Contract.deal_id == deal_id).order_by(Contract.id)
        ).scalars()
    )


def visible_contracts(
    actor: User, *, status: str | None = None, year: int | None = None, q: str | None = None
) -> sa.Select:
    """Contracts ``actor`` may see, newest first, optionally filtered."""
    user = require_user(actor)
    query = sa.select(Contract)
    if user.role == "broker":
        query = query.where(
            sa.or_(
                Contract.broker_id == user.id,
                Contract.seller_org_id == user.org_id,
                Contract.buyer_org_id == user.org_id,
            )
        )
    elif user.role != "admin":
        query = query.where(
            sa.or_(Contract.seller_org_id == user.org_id, Contract.buyer_org_id == user.org_id)
        )
    if status:
        query = query.where(Contract.status == status)
    if year:
        query = query.where(
            Contract.signed_on >= date(year, 1, 1), Contract.signed_on <= date(year, 12, 31)
        )
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(
            sa.or_(Contract.title.ilike(pattern), Contract.registration_no.ilike(pattern))
        )
    return query.order_by(Contract.updated_at.desc(), Contract.id.desc())


def history_for(actor: User, contract_id: int) -> list[ContractHistory]:
    """The audit trail, oldest first (broker on the contract and admins)."""
    user = require_user(actor)
    contract = get_contract_for(user, contract_id)
    if not can_see_history(user, contract):
        raise PermissionDenied()
    return list(
        db.session.execute(
            sa.select(ContractHistory)
            .where(ContractHistory.contract_id == contract.id)
            .order_by(ContractHistory.id)
        ).scalars()
    )


def organisation_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    ).all()
    return {row.id: row.name for row in rows}


def user_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()
    return {user.id: user.display_name for user in rows}
