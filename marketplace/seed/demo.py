"""Demo data for the embedded setup: organisations of every kind and one user per role."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import hash_password
from marketplace.database import utcnow
from marketplace.deals.suggestions import drain_matching_outbox
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import deliver
from marketplace.outbox import drain
from marketplace.search.index import drain_search_outbox
from marketplace.seed import DEMO_PASSWORD
from marketplace.seed.demo_auctions import seed_auctions
from marketplace.seed.demo_brokerage import seed_brokerage
from marketplace.seed.demo_experts_events import seed_experts_and_events
from marketplace.seed.demo_listings import seed_listings
from marketplace.seed.demo_vouchers import seed_vouchers_and_instruments
from marketplace.seed.synthetic_contracts import seed_demo_statistics

# (name, kind, region, credit code or None, verified)
DEMO_ORGS = [
    ("温州市科学技术局", "government", "330300", None, True),
    ("浙南技术转移中心", "agency", "330300", None, True),
    ("示例大学", "university", "330100", None, True),
    ("东海材料研究院", "institute", "330200", None, True),
    ("瓯江智能装备有限公司", "enterprise", "330300", "91330300MA2C8W1U5E", True),
    ("新禾环保科技有限公司", "enterprise", "320500", None, False),
]

# (role, email, name, organisation)
DEMO_USERS = [
    ("admin", "admin@demo.cn", "管理员", "温州市科学技术局"),
    ("broker", "broker@demo.cn", "陈经纪", "浙南技术转移中心"),
    ("researcher", "researcher@demo.cn", "李教授", "示例大学"),
    ("researcher", "institute@demo.cn", "王研究员", "东海材料研究院"),
    ("enterprise", "enterprise@demo.cn", "张总工", "瓯江智能装备有限公司"),
    ("enterprise", "green@demo.cn", "刘经理", "新禾环保科技有限公司"),
]


def database_is_empty() -> bool:
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def demo_credentials() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of the demo users that exist in this database."""
    emails = set(db.session.execute(sa.select(User.email)).scalars())
    return [
        (role, email, DEMO_PASSWORD) for role, email, _name, _org in DEMO_USERS if email in emails
    ]


def seed_accounts() -> dict[str, User]:
    orgs: dict[str, Organisation] = {}
    for name, kind, region, credit_code, verified in DEMO_ORGS:
        org = Organisation(
            name=name,
            kind=kind,
            region=region,
            credit_code=credit_code,
            verified=verified,
            verified_at=utcnow() if verified else None,
        )
        db.session.add(org)
        orgs[name] = org
    users: dict[str, User] = {}
    password_hash = hash_password(DEMO_PASSWORD)
    for role, email, name, org_name in DEMO_USERS:
        user = User(
            email=email,
            name=name,
            role=role,
            org=orgs[org_name],
            password_hash=password_hash,
            active=True,
            locale=None,
        )
        db.session.add(user)
        users[email] = user
    db.session.flush()
    return users


def seed_demo() -> list[tuple[str, str, str]]:
    """Fill an empty database with a small, realistic demo; returns the sign-ins."""
    users = seed_accounts()
    orgs = {user.org.name: user.org for user in users.values()}
    seed_listings(users, orgs)
    db.session.commit()
    seed_brokerage()
    seed_demo_statistics(users["admin@demo.cn"])
    seed_auctions(users)
    seed_vouchers_and_instruments()
    seed_experts_and_events(users, DEMO_PASSWORD)
    settle_notifications()
    return demo_credentials()


DEMO_UNREAD = 4  # what a person who signs in now and then finds waiting


def settle_notifications(unread: int = DEMO_UNREAD) -> None:
    """Bring the demo to where a real platform would be: the listings indexed and matched and
    every notification delivered, and each person having read all but the latest few.

    Run before any worker starts (``marketplace up`` seeds first), so this process is the index's
    only writer. Without it the worker delivered the whole history as unread (11–94 each).
    """
    drain_search_outbox()
    drain_matching_outbox()
    drain("notify", lambda payload, message_id: deliver(payload, outbox_id=message_id))
    for user_id in db.session.execute(sa.select(User.id)).scalars():
        keep = list(
            db.session.execute(
                sa.select(Notification.id)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id.desc())
                .limit(unread)
            ).scalars()
        )
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
                Notification.id.not_in(keep) if keep else sa.true(),
            )
            .values(read_at=utcnow())
        )
    db.session.commit()
