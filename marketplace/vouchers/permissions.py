"""Who may do what with voucher schemes, providers and vouchers (asked by services and views)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.vouchers.models import Voucher

MEMBER_ROLES = ("researcher", "enterprise")


def _signed_in(user: User) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_admin(user: User) -> bool:
    return _signed_in(user) and user.role == "admin"


def can_apply(user: User) -> bool:
    """Enterprise users apply for their organisation."""
    return _signed_in(user) and user.role == "enterprise"


def can_view_voucher(user: User, voucher: Voucher) -> bool:
    """The enterprise, the provider it named, and admins."""
    if not _signed_in(user):
        return False
    return user.role == "admin" or user.org_id in (voucher.org_id, voucher.provider_org_id)


def _of_enterprise(user: User, voucher: Voucher) -> bool:
    return _signed_in(user) and user.role in MEMBER_ROLES and user.org_id == voucher.org_id


def can_decide(user: User, voucher: Voucher) -> bool:
    return is_admin(user) and voucher.status == "applied"


def can_use(user: User, voucher: Voucher) -> bool:
    return _of_enterprise(user, voucher) and voucher.status == "approved"


def can_confirm(user: User, voucher: Voucher) -> bool:
    return (
        _signed_in(user)
        and user.role in MEMBER_ROLES
        and voucher.provider_org_id is not None
        and user.org_id == voucher.provider_org_id
        and voucher.status == "ordered"
    )


def can_request_redemption(user: User, voucher: Voucher) -> bool:
    return _of_enterprise(user, voucher) and voucher.status == "confirmed"


def can_review(user: User, voucher: Voucher) -> bool:
    return is_admin(user) and voucher.status == "redeem_requested"


def can_revoke(user: User, voucher: Voucher) -> bool:
    return is_admin(user) and voucher.status in (
        "approved",
        "ordered",
        "confirmed",
        "redeem_requested",
        "publicised",
    )
