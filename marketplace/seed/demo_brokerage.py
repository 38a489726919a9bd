"""Demo brokerage data: deals at every stage and two years of registered contracts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract
from marketplace.contracts.signed_copies import upload_signed_copy
from marketplace.database import utcnow
from marketplace.deals.models import Deal, DealEvent
from marketplace.extensions import db
from marketplace.listings.attachments import Upload
from marketplace.listings.models import Achievement, Demand
from marketplace.pdf import Document
from marketplace.vocab import CONTRACT_SUBTYPES

# Partner organisations so the registry spans several regions and kinds.
PARTNERS = [
    ("杭州芯联微电子有限公司", "enterprise", "330100"),
    ("宁波海洋工程研究院", "institute", "330200"),
    ("苏州精密制造股份有限公司", "enterprise", "320500"),
    ("深圳绿能科技有限公司", "enterprise", "440300"),
    ("武汉光谷生物医药研究所", "institute", "420100"),
]

# (title, summary, keywords, field, maturity, price in yuan or None)
ACHIEVEMENTS = [
    (
        "高导热石墨烯复合散热膜",
        "以化学气相沉积制备石墨烯薄膜并与铜箔复合，面内导热系数超过1500 W/(m·K)，"
        "适用于手机、基站等电子器件散热。",
        ["石墨烯", "散热膜", "导热"],
        "new_materials",
        6,
        Decimal("800000"),
    ),
    (
        "变电站智能巡检机器人",
        "融合红外测温、局放检测与视觉识别的轮式巡检机器人，可替代人工夜间巡检。",
        ["巡检机器人", "红外测温", "变电站"],
        "advanced_manufacturing",
        7,
        Decimal("1500000"),
    ),
    (
        "工业废水高效脱氮生物填料",
        "改性聚氨酯载体固定化菌群，低碳氮比废水总氮去除率提高30%。",
        ["废水处理", "脱氮", "生物填料"],
        "environment",
        6,
        None,
    ),
    (
        "水稻抗稻瘟病分子标记育种技术",
        "基于多基因聚合的分子标记辅助选择体系，育种周期缩短2年。",
        ["水稻", "分子标记", "抗病育种"],
        "agriculture",
        5,
        Decimal("300000"),
    ),
    (
        "锂电池极片缺陷在线视觉检测系统",
        "深度学习检测涂布划痕、漏箔等缺陷，检出率99.5%，速度80 m/min。",
        ["机器视觉", "锂电池", "缺陷检测"],
        "electronic_info",
        8,
        Decimal("1200000"),
    ),
]

# (title, description, keywords, field, budget min, budget max)
DEMANDS = [
    (
        "5G基站功放模块散热方案",
        "我司功放模块热流密度高，需要轻薄高导热材料或结构方案。",
        ["散热", "导热材料", "5G"],
        "new_materials",
        Decimal("200000"),
        Decimal("1000000"),
    ),
    (
        "配电房无人化巡检",
        "希望引进巡检机器人技术，实现配电房24小时自动巡检与告警。",
        ["巡检", "机器人", "配电"],
        "advanced_manufacturing",
        Decimal("500000"),
        Decimal("2000000"),
    ),
    (
        "印染废水总氮达标处理",
        "现有工艺总氮难以稳定达标，寻求低成本深度脱氮技术。",
        ["印染废水", "脱氮"],
        "environment",
        Decimal("300000"),
        Decimal("800000"),
    ),
]


def _org(name: str, kind: str, region: str) -> Organisation:
    org = db.session.execute(sa.select(Organisation).where(Organisation.name == name)).scalar()
    if org is None:
        org = Organisation(name=name, kind=kind, region=region, verified=True, verified_at=utcnow())
        db.session.add(org)
        db.session.flush()
    return org


def _first_user(role: str, email: str) -> User | None:
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar()
    return (
        user
        or db.session.execute(sa.select(User).where(User.role == role).order_by(User.id))
        .scalars()
        .first()
    )


def _listings(
    sellers: list[Organisation], buyers: list[Organisation]
) -> tuple[list[Achievement], list[Demand]]:
    """Published listings to pair: the demo's own if present, else a small set made here."""
    achievements = list(
        db.session.execute(
            sa.select(Achievement)
            .where(Achievement.status == "published")
            .order_by(Achievement.id)
            .limit(12)
        ).scalars()
    )
    demands = list(
        db.session.execute(
            sa.select(Demand).where(Demand.status == "published").order_by(Demand.id).limit(8)
        ).scalars()
    )
    now = utcnow()
    if len(achievements) < len(ACHIEVEMENTS):
        for index, (title, body, keywords, field, maturity, price) in enumerate(ACHIEVEMENTS):
            achievements.append(
                Achievement(
                    title=title,
                    body=body,
                    keywords=keywords,
                    field=field,
                    maturity=maturity,
                    price=price,
                    ip_type="invention_patent",
                    modes=["transfer", "license"],
                    org=sellers[index % len(sellers)],
                    status="published",
                    published_at=now,
                    region=sellers[index % len(sellers)].region,
                )
            )
    if len(demands) < len(DEMANDS):
        for index, (title, body, keywords, field, low, high) in enumerate(DEMANDS):
            demands.append(
                Demand(
                    title=title,
                    body=body,
                    keywords=keywords,
                    field=field,
                    budget_min=low,
                    budget_max=high,
                    modes=["transfer", "joint_development"],
                    org=buyers[index % len(buyers)],
                    status="published",
                    published_at=now,
                    region=buyers[index % len(buyers)].region,
                )
            )
    db.session.add_all([*achievements, *demands])
    db.session.flush()
    return achievements, demands


def _deal(
    achievement: Achievement,
    buyer_org_id: int,
    demand: Demand | None,
    stage: str,
    broker: User | None,
    started: datetime,
    source: str = "match",
    failure: str | None = None,
) -> Deal:
    deal = Deal(
        achievement_id=achievement.id,
        demand_id=demand.id if demand else None,
        seller_org_id=achievement.org_id,
        buyer_org_id=buyer_org_id,
        source=source,
        stage="suggested",
        score=0.78 if source == "match" else None,
        reasons=[
            {"code": "shared_terms", "terms": list(achievement.keywords or [])[:2]},
            {"code": "same_field", "field": achievement.field},
        ]
        if source == "match"
        else [],
        created_at=started,
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(
        DealEvent(deal_id=deal.id, kind="stage", to_stage="suggested", created_at=started)
    )
    path = ["claimed", "contacting", "negotiating", "signed"]
    steps = (
        path[: path.index(stage) + 1]
        if stage in path
        else (["claimed", "contacting", "failed"] if stage == "failed" else [])
    )
    notes = {
        "claimed": "",
        "contacting": "已电话联系双方，约定首次会谈。",
        "negotiating": "双方就许可费和付款节点进行谈判。",
        "signed": "双方签署合同。",
        "failed": "买方预算不足，暂缓合作。",
    }
    moment, previous = started, "suggested"
    for step in steps:
        moment += timedelta(days=4)
        db.session.add(
            DealEvent(
                deal_id=deal.id,
                actor_id=broker.id if broker else None,
                kind="claim" if step == "claimed" else "stage",
                from_stage=previous,
                to_stage=step,
                note=notes[step],
                created_at=moment,
            )
        )
        previous = step
    if steps:
        deal.broker_id = broker.id if broker else None
        deal.stage = steps[-1]
        deal.failure_reason = failure if steps[-1] == "failed" else None
        deal.signed_at = moment if steps[-1] == "signed" else None
    deal.updated_at = moment
    return deal


def seed_brokerage(seed: int = 2026) -> dict[str, int]:
    """Deals at every stage and two years of contracts (mostly registered) for the demo."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    broker = _first_user("broker", "broker@demo.cn")
    admin = _first_user("admin", "admin@demo.cn")
    if broker is None or admin is None:
        return {"deals": 0, "contracts": 0}
    partners = [_org(*partner) for partner in PARTNERS]
    orgs = list(db.session.execute(sa.select(Organisation).order_by(Organisation.id)).scalars())
    sellers = [o for o in orgs if o.kind in ("university", "institute")] + [
        p for p in partners if p.kind == "enterprise"
    ][:2]
    buyers = [o for o in orgs if o.kind == "enterprise"]
    achievements, demands = _listings(sellers, buyers)

    now = utcnow()
    deals: list[Deal] = []
    plans = [
        ("suggested", "match"),
        ("suggested", "interest"),
        ("claimed", "match"),
        ("contacting", "match"),
        ("negotiating", "interest"),
        ("signed", "match"),
        ("failed", "match"),
    ]
    for index, (stage, source) in enumerate(plans):
        achievement = achievements[index % len(achievements)]
        demand = demands[index % len(demands)] if source == "match" else None
        buyer_id = (
            demand.org_id if demand else next(b.id for b in buyers if b.id != achievement.org_id)
        )
        if demand is not None and demand.org_id == achievement.org_id:
            continue
        exists = (
            db.session.execute(
                sa.select(Deal.id).where(
                    Deal.achievement_id == achievement.id, Deal.demand_id == demand.id
                )
            ).first()
            if demand
            else None
        )
        if exists:
            continue
        deals.append(
            _deal(
                achievement,
                buyer_id,
                demand,
                stage,
                None if stage == "suggested" else broker,
                now - timedelta(days=40 - index * 3),
                source,
                failure="price" if stage == "failed" else None,
            )
        )
    db.session.commit()

    contract_count = _seed_contracts(rng, broker, admin, partners + orgs, deals)
    return {"deals": len(deals), "contracts": contract_count}


def _seed_contracts(
    rng: random.Random, broker: User, admin: User, orgs: list[Organisation], deals: list[Deal]
) -> int:
    """About 40 contracts over last year and this one, through the real services."""
    unique = {org.id: org for org in orgs}
    parties = [
        o
        for o in unique.values()
        if o.kind in ("enterprise", "university", "institute") and o.region
    ]
    today = contracts.local_today()
    start = today.replace(year=today.year - 1, month=1, day=1)
    span = (today - start).days - 3
    weights = {"service": 40, "development": 35, "transfer": 12, "license": 8, "consulting": 5}
    made = 0
    to_register: list[tuple[datetime, int, bool]] = []
    signed_deal = next((d for d in deals if d.stage == "signed"), None)
    signed_copy = _demo_signed_copy()
    for index in range(40):
        seller, buyer = rng.sample(parties, 2)
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        subtypes = CONTRACT_SUBTYPES[kind].codes
        amount = Decimal(rng.randrange(50, 5000) * 1000)
        ratio = Decimal(rng.randrange(67, 101)) / 100
        signed_on = start + timedelta(days=rng.randrange(0, span))
        deal = signed_deal if index == 0 and signed_deal else None
        data = contracts.ContractData(
            title=f"{rng.choice(['智能装备', '新材料', '环保工艺', '生物医药', '农业育种'])}"
            f"{CONTRACT_SUBTYPES[kind].label(subtypes[0]) if subtypes else '技术咨询'}"
            f"合同（{index + 1:02d}）",
            type=kind,
            subtype=rng.choice(subtypes) if subtypes else None,
            seller_org_id=deal.seller_org_id if deal else seller.id,
            buyer_org_id=deal.buyer_org_id if deal else buyer.id,
            field=rng.choice(
                [
                    "electronic_info",
                    "advanced_manufacturing",
                    "new_materials",
                    "environment",
                    "biomedicine",
                    "agriculture",
                    "new_energy",
                ]
            ),
            signed_on=signed_on,
            contract_amount=amount,
            tech_amount=(amount * ratio).quantize(Decimal("0.01")) if index % 3 else None,
            line_items=()
            if index % 3
            else (
                contracts.LineItemData("技术开发与许可费", amount - amount // 5),
                contracts.LineItemData("配套设备与材料", amount // 5, True),
            ),
            deal_id=deal.id if deal else None,
            plan_category=rng.choice([None, "none", "provincial", "local"]),
        )
        contract = contracts.create_contract(broker, data)
        made += 1
        fate = index % 10
        if fate == 9 and signed_on > today - timedelta(days=30):
            continue  # a recent draft still being completed
        upload_signed_copy(broker, contract.id, Upload("合同签署本.pdf", signed_copy))
        contracts.submit_contract(broker, contract.id)
        if fate == 8:
            contracts.reject_contract(admin, contract.id, "请补充技术附件和技术交易额计算依据。")
            continue
        if fate == 7 and signed_on > today - timedelta(days=60):
            continue  # waiting for registration
        registered_on = min(signed_on + timedelta(days=rng.randrange(1, 20)), today)
        at = min(datetime.combine(registered_on, time(2, 30), tzinfo=UTC), utcnow())
        to_register.append((at, contract.id, index == 5))
    # The registry numbers contracts in the order it registers them; most are registered as
    # entered, a few with the technology amount verified down (核定).
    for at, contract_id, voided in sorted(to_register):
        verification = None
        if contract_id % 11 == 0:
            entered = db.session.get(Contract, contract_id).tech_amount  # type: ignore[union-attr]
            verification = contracts.Verification(
                (entered * Decimal("0.9")).quantize(Decimal("0.01")),
                "合同价款中含部分非技术性的设备安装费用，按规定核减。",
            )
        contracts.register_contract(admin, contract_id, at=at, verification=verification)
        if voided:
            contracts.void_contract(admin, contract_id, "双方协议解除，申请撤销登记。")
    return made


def _demo_signed_copy() -> bytes:
    """One signed-copy PDF shared by the demo contracts (the registrar's reading copy)."""
    doc = Document("技术合同（签署本）", subtitle="演示数据 · Demo data")
    doc.paragraph("本文件为演示用合同签署本。真实登记时，请上传双方签字盖章后的合同全文扫描件。")
    doc.key_values([("甲方（委托方/受让方）", "（签章）"), ("乙方（受托方/让与方）", "（签章）")])
    return doc.to_bytes()
