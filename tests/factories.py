"""factory_boy factories for the models; every factory commits, so workers see the rows."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import _hasher
from marketplace.auctions.models import Lot
from marketplace.contracts.models import Contract, ContractSignedCopy
from marketplace.database import utcnow
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.instruments.models import Instrument
from marketplace.listings.models import Achievement, Demand
from marketplace.vouchers.models import VoucherProvider, VoucherScheme

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
        kind=factory.LazyAttribute(
            lambda o: {
                "researcher": "university",
                "enterprise": "enterprise",
                "broker": "agency",
                "admin": "government",
            }[o.factory_parent.role]
        ),
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

    @factory.post_generation
    def signed_copy(obj: Contract, create: bool, extracted: object, **kwargs: object) -> None:
        """A signed copy on file, as submission requires (``signed_copy=False``: none)."""
        if create and extracted is not False:
            attach_signed_copy(obj)


# The smallest document that passes the upload checks: header, one object, trailer and %%EOF.
SIGNED_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def attach_signed_copy(contract: Contract, data: bytes = SIGNED_PDF) -> ContractSignedCopy:
    """Put a signed copy on file for ``contract`` (submission requires one)."""
    copy = ContractSignedCopy(
        contract_id=contract.id,
        original_name="合同签署本.pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        data=data,
    )
    db.session.add(copy)
    db.session.commit()
    return copy


# -- auctions ------------------------------------------------------------------------------


class LotFactory(BaseFactory):
    """A draft auction lot on a published achievement, bidding 8–9 days from now."""

    class Meta:
        model = Lot

    achievement = factory.SubFactory(AchievementFactory)
    org = factory.SelfAttribute("achievement.org")
    title = factory.SelfAttribute("achievement.title")
    mode = "auction"
    rights = "transfer"
    status = "draft"
    start_price = Decimal("100000.00")
    increment = Decimal("5000.00")
    deposit = Decimal("10000.00")
    extension_minutes = 5
    registration_opens_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=1))
    bidding_starts_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=8))
    bidding_ends_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=9))
    closes_at = factory.SelfAttribute("bidding_ends_at")


# -- shared instruments and innovation vouchers (SPEC §6.2–6.3) ------------------------------


class InstrumentFactory(BaseFactory):
    class Meta:
        model = Instrument

    name = factory.Sequence(lambda n: f"场发射扫描电子显微镜{n}")
    model_no = "SU8010"
    category = "imaging"
    location = "材料楼 101"
    specification = "分辨率 1.0 nm (15 kV)"
    fee = Decimal("300.00")
    fee_unit = "hour"
    open_hours = "周一至周五 8:30–17:00"
    status = "active"
    org = factory.SubFactory(OrganisationFactory, kind="university", region="330100")


class VoucherSchemeFactory(BaseFactory):
    class Meta:
        model = VoucherScheme

    name = factory.Sequence(lambda n: f"科技创新券{n}")
    year = factory.LazyFunction(lambda: date.today().year)
    budget = Decimal("1000000.00")
    eligible_kinds = factory.LazyFunction(lambda: ["enterprise"])
    eligible_regions = factory.LazyFunction(list)
    excluded_org_ids = factory.LazyFunction(list)
    services = factory.LazyFunction(lambda: ["development", "service", "testing", "instrument"])
    ratio_percent = 50
    cap_per_application = Decimal("100000.00")
    cap_per_enterprise_year = Decimal("200000.00")
    full_offset_below = None
    payee_mode = "provider"
    opens_on = factory.LazyFunction(lambda: date.today().replace(month=1, day=1))
    use_by = factory.LazyFunction(lambda: date.today() + timedelta(days=300))
    redeem_by = factory.LazyFunction(lambda: date.today() + timedelta(days=400))
    publication_days = 5
    status = "open"


class VoucherProviderFactory(BaseFactory):
    class Meta:
        model = VoucherProvider

    org = factory.SubFactory(OrganisationFactory, kind="university", region="330100")
    services = factory.LazyFunction(lambda: ["development", "service", "testing", "instrument"])
    status = "approved"
    approved_at = factory.LazyFunction(utcnow)
