"""Realistic synthetic technology contracts in bulk (for benchmarks, load tests and demos).

Shapes follow published technology-market figures (shared/data/README.md): 技术服务 and 技术开发
carry most of the value, enterprises sell about 86% of 输出 value, 技术交易额 runs at about 75% of
成交额, amounts are heavy-tailed (log-normal with rare very large contracts), volume grows about
20% a year and peaks in December. Organisations are mostly in one province (Zhejiang, the demo's
home) with partners elsewhere. Rows go in with SQLAlchemy Core in large batches (COPY on
PostgreSQL), so a million contracts take minutes.
"""

from __future__ import annotations

import calendar
import math
import random
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import hash_password
from marketplace.contracts.models import RegistrationCounter
from marketplace.contracts.services import registration_number
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.stats.queries import build_summary
from marketplace.stats.services import TargetInput, run_recompute, set_target
from marketplace.workdays import LOCAL_TZ

YEARS = 5
BATCH = 20_000

# Region code → weight. About 72% of organisations are in the home province.
REGION_WEIGHTS: dict[str, float] = {
    "330100": 0.22,
    "330200": 0.11,
    "330300": 0.08,
    "330400": 0.05,
    "330500": 0.03,
    "330600": 0.05,
    "330700": 0.045,
    "330800": 0.015,
    "330900": 0.015,
    "331000": 0.045,
    "331100": 0.015,
    "310000": 0.06,
    "110000": 0.05,
    "320100": 0.03,
    "320500": 0.03,
    "440300": 0.03,
    "440100": 0.015,
    "340100": 0.02,
    "420100": 0.015,
    "510100": 0.012,
    "610100": 0.01,
    "360100": 0.01,
    "350200": 0.01,
    "370200": 0.008,
    "430100": 0.008,
}
CITY_NAMES = {
    "330100": "杭州",
    "330200": "宁波",
    "330300": "温州",
    "330400": "嘉兴",
    "330500": "湖州",
    "330600": "绍兴",
    "330700": "金华",
    "330800": "衢州",
    "330900": "舟山",
    "331000": "台州",
    "331100": "丽水",
    "310000": "上海",
    "110000": "北京",
    "320100": "南京",
    "320500": "苏州",
    "440300": "深圳",
    "440100": "广州",
    "340100": "合肥",
    "420100": "武汉",
    "510100": "成都",
    "610100": "西安",
    "360100": "南昌",
    "350200": "厦门",
    "370200": "青岛",
    "430100": "长沙",
}
# Universities and institutes cluster in the big science cities.
SCIENCE_CITIES = {
    "330100": 3.0,
    "110000": 3.0,
    "310000": 2.5,
    "320100": 2.5,
    "420100": 2.0,
    "610100": 2.0,
    "510100": 1.5,
    "340100": 1.5,
}

ORG_KIND_SHARE = {
    "enterprise": 0.70,
    "university": 0.06,
    "institute": 0.10,
    "agency": 0.08,
    "government": 0.06,
}
SELLER_KIND = {
    "enterprise": 0.68,
    "university": 0.14,
    "institute": 0.12,
    "agency": 0.04,
    "government": 0.02,
}
# Enterprise sellers sign larger contracts: with these factors they hold ~85% of 输出 value.
SELLER_KIND_SCALE = {
    "enterprise": 1.3,
    "university": 0.45,
    "institute": 0.6,
    "agency": 0.5,
    "government": 0.5,
}
BUYER_KIND = {
    "enterprise": 0.84,
    "government": 0.09,
    "institute": 0.03,
    "university": 0.03,
    "agency": 0.01,
}

# type → (share of contracts, median amount in yuan, mean 技术交易额 share, subtypes)
TYPES: dict[str, tuple[float, float, float, dict[str | None, float]]] = {
    "service": (0.48, 350_000, 0.70, {"service": 0.85, "training": 0.07, "intermediary": 0.08}),
    "development": (0.30, 450_000, 0.72, {"commissioned": 0.8, "cooperative": 0.2}),
    "consulting": (0.09, 60_000, 0.95, {None: 1.0}),
    "transfer": (
        0.08,
        520_000,
        0.92,
        {
            "patent": 0.45,
            "patent_application": 0.1,
            "trade_secret": 0.25,
            "software": 0.12,
            "plant_variety": 0.03,
            "ic_layout": 0.01,
            "other": 0.04,
        },
    ),
    "license": (0.05, 350_000, 0.95, {"patent": 0.6, "trade_secret": 0.3, "other": 0.1}),
}
FIELD_SHARE = {
    "electronic_info": 0.30,
    "advanced_manufacturing": 0.17,
    "urban_social": 0.12,
    "biomedicine": 0.09,
    "new_energy": 0.08,
    "environment": 0.07,
    "new_materials": 0.07,
    "agriculture": 0.04,
    "transport": 0.035,
    "aerospace": 0.015,
    "nuclear": 0.005,
    None: 0.005,
}
TOPICS = {
    "electronic_info": [
        "工业互联网平台",
        "机器视觉检测系统",
        "5G通信模组",
        "数据治理平台",
        "嵌入式控制软件",
        "智能网关",
        "信息安全评估",
    ],
    "advanced_manufacturing": [
        "数控机床改造",
        "智能产线集成",
        "精密减速器",
        "工业机器人应用",
        "注塑工艺优化",
        "阀门密封结构",
    ],
    "urban_social": ["智慧社区管理系统", "建筑节能改造", "城市排水模型", "文旅数字化"],
    "biomedicine": ["抗体药物筛选", "医疗器械注册检验", "中药提取工艺", "体外诊断试剂"],
    "new_energy": ["光伏组件效率提升", "储能电池管理系统", "余热回收", "氢燃料电池电堆"],
    "environment": ["工业废水处理", "固废资源化利用", "VOCs治理", "土壤修复"],
    "new_materials": ["石墨烯导热膜", "高性能复合材料", "特种涂层", "生物基材料"],
    "agriculture": ["水稻新品种选育", "茶叶加工工艺", "设施农业物联网", "水产养殖病害防控"],
    "transport": ["轨道交通信号", "新能源汽车电控", "船舶节能", "智慧物流调度"],
    "aerospace": ["无人机飞控", "航空零部件检测", "卫星遥感应用"],
    "nuclear": ["辐照加工工艺", "核级仪表"],
    None: ["综合技术"],
}
TYPE_WORDS = {
    "development": "技术开发",
    "transfer": "技术转让",
    "license": "技术许可",
    "consulting": "技术咨询",
    "service": "技术服务",
}
BRANDS = list(
    "瓯越甬嘉禾新锐华创恒信博远天启中科星辰海纳金石汇智卓越鼎盛立讯宏远致远卓达"
    "明德安泰润达康宁睿达正泰永康联创伟业晨光东方南湖北辰"
)
ENTERPRISE_WORDS = [
    "智能科技",
    "新材料",
    "生物医药",
    "环保科技",
    "电子",
    "机械制造",
    "能源科技",
    "农业科技",
    "信息技术",
    "精密仪器",
    "汽车零部件",
    "软件",
]
ORG_SUFFIXES = {
    "university": ["大学", "理工学院", "职业技术学院", "科技学院"],
    "institute": ["研究院", "研究所", "工业技术研究院", "产业创新研究院"],
    "agency": ["技术转移中心", "科技成果转化服务有限公司", "知识产权运营中心"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力宇浩然欣怡子涵"

_CONTRACT_COLUMNS = [
    "title",
    "type",
    "subtype",
    "seller_org_id",
    "buyer_org_id",
    "broker_id",
    "field",
    "signed_on",
    "term_end",
    "contract_amount",
    "tech_amount",
    "status",
    "registration_no",
    "registered_at",
    "void_reason",
    "voided_at",
    "seller_region",
    "seller_kind",
    "buyer_region",
    "buyer_kind",
    "created_at",
    "updated_at",
]
# Amounts go in as the stored integer fen, so no Decimal round trip per row.
_contracts = sa.table(
    "contracts",
    *[
        sa.column(name)
        for name in _CONTRACT_COLUMNS
        if name
        not in (
            "signed_on",
            "term_end",
            "registered_at",
            "voided_at",
            "created_at",
            "updated_at",
            "contract_amount",
            "tech_amount",
        )
    ],
    sa.column("signed_on", sa.Date()),
    sa.column("term_end", sa.Date()),
    sa.column("registered_at", UTCDateTime()),
    sa.column("voided_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("contract_amount", sa.BigInteger()),
    sa.column("tech_amount", sa.BigInteger()),
)


class _Picker:
    """Weighted choice by bisection over cumulative weights (fast for repeated draws)."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.items = list(weights)
        total = 0.0
        self.cumulative = []
        for item in self.items:
            total += weights[item]
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> Any:
        from bisect import bisect_right

        index = bisect_right(self.cumulative, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _org_name(rng: random.Random, kind: str, region: str) -> str:
    city = CITY_NAMES[region]
    brand = rng.choice(BRANDS) + rng.choice(BRANDS)
    if kind == "enterprise":
        suffix = "股份有限公司" if rng.random() < 0.2 else "有限公司"
        return f"{city}{brand}{rng.choice(ENTERPRISE_WORDS)}{suffix}"
    if kind in ORG_SUFFIXES:
        return f"{city}{brand}{rng.choice(ORG_SUFFIXES[kind])}"
    office = rng.choice(
        [
            "科学技术局",
            "经济和信息化局",
            "农业农村局",
            "生态环境局",
            "交通运输局",
            "住房和城乡建设局",
            "卫生健康委员会",
        ]
    )
    return f"{city}{brand}区{office}"


def _create_organisations(rng: random.Random, count: int) -> dict[str, list[tuple[int, str]]]:
    """New organisations of every kind; returns kind → [(id, region)]."""
    taken = set(db.session.execute(sa.select(Organisation.name)).scalars())
    kind_picker = _Picker(ORG_KIND_SHARE)
    pickers = {
        "plain": _Picker(REGION_WEIGHTS),
        "science": _Picker(
            {
                code: weight * SCIENCE_CITIES.get(code, 1.0)
                for code, weight in REGION_WEIGHTS.items()
            }
        ),
    }
    rows = []
    now = utcnow()
    for index in range(count):
        kind = (
            kind_picker.pick(rng) if index >= len(ORG_KIND_SHARE) else list(ORG_KIND_SHARE)[index]
        )  # at least one of every kind
        science = kind in ("university", "institute")
        region = pickers["science" if science else "plain"].pick(rng)
        name = _org_name(rng, kind, region)
        attempt = 0
        while name in taken:
            attempt += 1
            name = (
                _org_name(rng, kind, region)
                if attempt < 5
                else f"{_org_name(rng, kind, region)}（{attempt}）"
            )
        taken.add(name)
        rows.append(
            {
                "name": name,
                "kind": kind,
                "region": region,
                "verified": True,
                "verified_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    ids = db.session.scalars(
        sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), rows
    ).all()
    by_kind: dict[str, list[tuple[int, str]]] = {kind: [] for kind in ORG_KIND_SHARE}
    for org_id, row in zip(ids, rows, strict=True):
        by_kind[row["kind"]].append((org_id, row["region"]))
    return by_kind


def _create_brokers(
    rng: random.Random, count: int, agencies: Sequence[tuple[int, str]]
) -> list[int]:
    # Synthetic brokers cannot sign in: inactive, with a password nobody knows.
    password_hash = hash_password(secrets.token_urlsafe(24))
    now = utcnow()
    tag = secrets.token_hex(4)
    rows = [
        {
            "email": f"broker-{tag}-{index}@synthetic.invalid",
            "name": _person(rng),
            "password_hash": password_hash,
            "role": "broker",
            "org_id": agencies[index % len(agencies)][0],
            "active": False,
            "created_at": now,
            "updated_at": now,
        }
        for index in range(count)
    ]
    return list(
        db.session.scalars(
            sa.insert(User).returning(User.id, sort_by_parameter_order=True), rows
        ).all()
    )


def _skewed(rng: random.Random, items: Sequence[Any], power: float = 2.5) -> Any:
    """A few items get most draws (a handful of big organisations sign most contracts)."""
    return items[int(len(items) * rng.random() ** power)]


def _amount_fen(rng: random.Random, median: float, scale: float) -> int:
    amount = math.exp(math.log(median * scale) + rng.gauss(0.0, 1.5))
    if rng.random() < 0.002:  # the rare very large programme contract
        amount *= rng.uniform(20, 150)
    amount = min(max(amount, 2_000.0), 3_000_000_000.0)
    roll = rng.random()
    if roll < 0.10:
        return int(round(amount, -2)) * 100
    if roll < 0.95:
        return int(amount) * 100
    return int(amount * 100)


def _dates(rng: random.Random, first_year: int, today: date) -> Iterator[date]:
    """Signing dates: ~20% growth a year, a December peak, never in the future."""
    season = [0.6, 0.5, 0.8, 0.8, 0.85, 1.1, 0.85, 0.85, 0.95, 0.85, 1.0, 1.9]
    weights: dict[tuple[int, int], float] = {}
    for offset in range(YEARS):
        year = first_year + offset
        for month in range(1, 13):
            if date(year, month, 1) > today:
                continue
            weight = 1.2**offset * season[month - 1]
            if (year, month) == (today.year, today.month):
                weight *= today.day / calendar.monthrange(year, month)[1]
            weights[(year, month)] = weight
    picker = _Picker(weights)
    while True:
        year, month = picker.pick(rng)
        last = calendar.monthrange(year, month)[1]
        if (year, month) == (today.year, today.month):
            last = today.day
        yield date(year, month, rng.randint(1, last))


def generate_contracts(n: int, seed: int) -> int:
    """Insert ``n`` synthetic contracts (98.5% registered, the rest void) with the
    organisations and brokers they need, then rebuild the statistics; returns ``n``."""
    if n <= 0:
        return 0
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    today = date.today()
    now = utcnow()
    orgs = _create_organisations(rng, max(60, min(25_000, n // 40)))
    # Enough brokers for a 十佳 ranking to have ten names even on a small demo data set.
    brokers = _create_brokers(rng, max(16, min(400, n // 2_500)), orgs["agency"])
    counters = {
        (row.year, row.region): row.last_seq
        for row in db.session.execute(sa.select(RegistrationCounter)).scalars()
    }
    seller_kind, buyer_kind = _Picker(SELLER_KIND), _Picker(BUYER_KIND)
    type_picker = _Picker({code: spec[0] for code, spec in TYPES.items()})
    subtype_pickers = {code: _Picker(spec[3]) for code, spec in TYPES.items()}
    field_picker = _Picker(FIELD_SHARE)
    dates = _dates(rng, today.year - YEARS + 1, today)
    dialect = db.engine.dialect.name
    made = 0
    while made < n:
        rows = []
        for _ in range(min(BATCH, n - made)):
            rows.append(
                _contract_row(
                    rng,
                    orgs,
                    brokers,
                    counters,
                    seller_kind,
                    buyer_kind,
                    type_picker,
                    subtype_pickers,
                    field_picker,
                    next(dates),
                    now,
                )
            )
        _insert_contracts(rows, dialect)
        made += len(rows)
    _save_counters(counters, dialect)
    db.session.commit()
    if dialect == "postgresql":
        # Fresh planner statistics: the planner otherwise assumes the table is still small.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE contracts"
            )
    run_recompute(trigger="seed")
    return made


def _contract_row(
    rng: random.Random,
    orgs: dict[str, list[tuple[int, str]]],
    brokers: list[int],
    counters: dict[tuple[int, str], int],
    seller_kind: _Picker,
    buyer_kind: _Picker,
    type_picker: _Picker,
    subtype_pickers: dict[str, _Picker],
    field_picker: _Picker,
    signed: date,
    now: datetime,
) -> dict[str, Any]:
    s_kind, b_kind = seller_kind.pick(rng), buyer_kind.pick(rng)
    seller_id, seller_region = _skewed(rng, orgs[s_kind])
    buyer_id, buyer_region = _skewed(rng, orgs[b_kind], 1.8)
    while buyer_id == seller_id:
        buyer_id, buyer_region = rng.choice(orgs[b_kind])
    kind = type_picker.pick(rng)
    _share, median, tech_mean, _subtypes = TYPES[kind]
    amount = _amount_fen(rng, median, SELLER_KIND_SCALE[s_kind])
    ratio = min(1.0, rng.betavariate(tech_mean * 6, (1 - tech_mean) * 6))
    tech = min(amount, int(amount * ratio))
    field = field_picker.pick(rng)
    registered = datetime.combine(
        signed + timedelta(days=rng.randint(3, 40)),
        time(rng.randint(8, 17), rng.randint(0, 59)),
        tzinfo=UTC,
    )
    registered = min(registered, now)
    # Numbered like the registry does: registration year (local time), seller region, sequence.
    key = (registered.astimezone(LOCAL_TZ).year, seller_region)
    counters[key] = counters.get(key, 0) + 1
    void = rng.random() < 0.015
    topic = rng.choice(TOPICS[field])
    return {
        "title": f"{topic}{TYPE_WORDS[kind]}合同",
        "type": kind,
        "subtype": subtype_pickers[kind].pick(rng),
        "seller_org_id": seller_id,
        "buyer_org_id": buyer_id,
        "broker_id": _skewed(rng, brokers, 2.0) if rng.random() < 0.35 else None,
        "field": field,
        "signed_on": signed,
        "term_end": signed + timedelta(days=rng.randint(90, 1095)),
        "contract_amount": amount,
        "tech_amount": tech,
        "status": "void" if void else "registered",
        "registration_no": registration_number(key[0], seller_region, counters[key]),
        "registered_at": registered,
        "void_reason": "合同双方协议解除" if void else None,
        "voided_at": min(registered + timedelta(days=30), now) if void else None,
        "seller_region": seller_region,
        "seller_kind": s_kind,
        "buyer_region": buyer_region,
        "buyer_kind": b_kind,
        "created_at": registered,
        "updated_at": registered,
    }


def _insert_contracts(rows: list[dict[str, Any]], dialect: str) -> None:
    if dialect != "postgresql":
        db.session.execute(sa.insert(_contracts), rows)
        return
    # COPY is several times faster than multi-row INSERT on PostgreSQL.
    connection = db.session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        columns = ", ".join(_CONTRACT_COLUMNS)
        with cursor.copy(f"COPY contracts ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in _CONTRACT_COLUMNS])


def _save_counters(counters: dict[tuple[int, str], int], dialect: str) -> None:
    """Advance the registration counters past the numbers used, so real registrations that
    follow never reuse one."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(sa.Table, RegistrationCounter.__table__)
    for (year, region), last in counters.items():
        statement = insert(table).values(year=year, region=region, last_seq=last)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.year, table.c.region],
                set_={
                    "last_seq": sa.func.max(table.c.last_seq, statement.excluded.last_seq)
                    if dialect != "postgresql"
                    else sa.func.greatest(table.c.last_seq, statement.excluded.last_seq)
                },
            )
        )


__all__ = ["generate_contracts"]


DEMO_CONTRACTS = 3_000


def seed_demo_statistics(admin: User) -> None:
    """Demo contracts and this year's targets, so the admin's dashboard has figures to show."""
    from decimal import ROUND_UP, Decimal

    generate_contracts(DEMO_CONTRACTS, seed=2026)
    year = date.today().year
    for region in (None, "330000", "330300"):
        last_year = build_summary(year - 1, region).output
        # A 20% growth target, rounded up to a whole 10,000 yuan (the unit targets are set in).
        amount = (last_year.contract_amount * Decimal("1.2") / 10000).quantize(
            Decimal(1), rounding=ROUND_UP
        ) * 10000
        if amount > 0:
            set_target(
                admin,
                TargetInput(
                    year=year,
                    region=region,
                    contract_amount=amount,
                    contract_count=int(last_year.contracts * 1.2) or None,
                    note="演示目标",
                ),
            )
