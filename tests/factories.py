"""factory_boy factories for the models; every factory commits, so workers see the rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import _hasher
from marketplace.contracts.models import Contract
from marketplace.database import utcnow
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.listings.models import Achievement, Demand

PASSWORD = "correct-horse-42"
# Same cheap parameters as TestingConfig.ARGON2_PARAMS, so sign-ins need no rehash.
_PASSWORD_HASH = _hasher(1, 1024).hash(PASSWORD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = "enterprise"
    region = "330300"
    verified = True


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = _PASSWORD_HASH
    role = "enterprise"
    active = True
    org = factory.SubFactory(
        OrganisationFactory,
        kind=factory.LazyAttribute(lambda o: {
            "researcher": "university", "enterprise": "enterprise", "broker": "agency",
            "admin": "government"}[o.factory_parent.role]),
    )


# -- listings ------------------------------------------------------------------------------

class AchievementFactory(BaseFactory):
    class Meta:
        model = Achievement

    title = factory.Sequence(lambda n: f"石墨烯导热膜制备技术{n}")
    body = "采用化学气相沉积法制备高导热石墨烯薄膜，可用于电子器件散热。"
    keywords = factory.LazyFunction(lambda: ["石墨烯", "导热膜", "散热"])
    field = "new_materials"
    maturity = 6
    ip_type = "invention_patent"
    modes = factory.LazyFunction(lambda: ["transfer", "license"])
    price = Decimal("500000.00")
    status = "published"
    org = factory.SubFactory(OrganisationFactory, kind="university")
    owner = None
    published_at = factory.LazyFunction(utcnow)


class DemandFactory(BaseFactory):
    class Meta:
        model = Demand

    title = factory.Sequence(lambda n: f"电子产品散热材料需求{n}")
    body = "我公司生产智能终端，需要高导热、轻薄的散热材料解决发热问题。"
    keywords = factory.LazyFunction(lambda: ["散热", "导热材料"])
    field = "new_materials"
    modes = factory.LazyFunction(lambda: ["transfer", "joint_development"])
    budget_min = Decimal("100000.00")
    budget_max = Decimal("800000.00")
    status = "published"
    org = factory.SubFactory(OrganisationFactory, kind="enterprise")
    owner = None
    published_at = factory.LazyFunction(utcnow)


# -- brokerage and contracts ---------------------------------------------------------------

class DealFactory(BaseFactory):
    class Meta:
        model = Deal

    demand = factory.SubFactory(DemandFactory)
    achievement = factory.SubFactory(AchievementFactory)
    buyer_org = factory.SelfAttribute("demand.org")
    seller_org = factory.SelfAttribute("achievement.org")
    stage = "suggested"
    source = "match"
    score = 0.8
    reasons = factory.LazyFunction(list)


class ContractFactory(BaseFactory):
    class Meta:
        model = Contract

    title = factory.Sequence(lambda n: f"技术开发合同{n}")
    type = "development"
    subtype = "commissioned"
    seller_org = factory.SubFactory(OrganisationFactory, kind="university", region="330100")
    buyer_org = factory.SubFactory(OrganisationFactory, kind="enterprise", region="330300")
    field = "advanced_manufacturing"
    signed_on = factory.LazyFunction(lambda: date.today())
    contract_amount = Decimal("1000000.00")
    tech_amount = Decimal("800000.00")
    status = "draft"
