# ruff: noqa: E501, S311  (phrase tables read best one entry per line; demo data, not crypto)
"""Demo listings written by the project's own generator: technologies × applications, in Chinese.

Deterministic (a fixed seed), so every demo site shows the same realistic set: published
achievements and demands across fields, a few drafts and pending ones for the review queue, and
one open challenge (揭榜挂帅) with an application.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from marketplace.accounts.models import Organisation, User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.models import (
    Achievement,
    ChallengeApplication,
    Demand,
    Listing,
    ListingEvent,
)
from marketplace.listings.services import extract_keywords, listing_changed

# (field, technology, what it does, applications, maturity, ip_type)
TECHNOLOGIES = [
    (
        "new_materials",
        "石墨烯复合导热膜",
        "通过低温还原与热压工艺制备高导热石墨烯复合薄膜，面内导热系数高、厚度薄",
        ["智能手机散热", "动力电池热管理", "LED照明模组"],
        6,
        "invention_patent",
    ),
    (
        "new_materials",
        "生物基可降解包装材料",
        "以秸秆纤维素和聚乳酸为原料共混改性，兼顾强度与降解性能",
        ["外卖餐盒", "快递缓冲包装", "农用地膜"],
        5,
        "invention_patent",
    ),
    (
        "advanced_manufacturing",
        "机器视觉尺寸在线检测系统",
        "采用高分辨率工业相机与亚像素边缘算法，实现零部件尺寸的非接触在线测量",
        ["汽车零部件", "五金冲压件", "电子连接器"],
        7,
        "software",
    ),
    (
        "advanced_manufacturing",
        "六轴协作机器人柔性装配技术",
        "基于力控与视觉引导的柔性装配方法，换型时间短、部署简单",
        ["小家电装配", "阀门组装", "鞋服自动化产线"],
        6,
        "invention_patent",
    ),
    (
        "electronic_info",
        "低功耗窄带物联网采集终端",
        "基于NB-IoT模组与自适应休眠策略，单节电池可工作五年以上",
        ["智慧水务抄表", "燃气管网监测", "冷链温度追踪"],
        8,
        "utility_model",
    ),
    (
        "electronic_info",
        "工业设备故障预测算法平台",
        "融合振动、电流与温度多源数据，利用深度学习提前识别设备异常",
        ["电机泵组运维", "注塑机预测性维护", "风机状态监测"],
        6,
        "software",
    ),
    (
        "biomedicine",
        "新型医用抗菌敷料",
        "负载纳米银与壳聚糖的复合敷料，抗菌谱广、促进创面愈合",
        ["慢性创面护理", "烧伤治疗", "术后护理"],
        5,
        "invention_patent",
    ),
    (
        "biomedicine",
        "便携式血液快速检测芯片",
        "微流控芯片集成免疫层析，十五分钟内完成多项指标检测",
        ["基层医疗机构", "家庭健康监测", "应急检测"],
        4,
        "invention_patent",
    ),
    (
        "new_energy",
        "光伏组件智能清洗机器人",
        "无水清洗与自主导航结合，适应多种坡度的光伏阵列",
        ["大型地面电站", "工商业屋顶光伏", "农光互补项目"],
        7,
        "utility_model",
    ),
    (
        "new_energy",
        "余热回收高效换热器",
        "采用强化传热翅片与防腐涂层，回收中低温烟气余热",
        ["陶瓷窑炉", "印染定型机", "食品烘干线"],
        8,
        "invention_patent",
    ),
    (
        "environment",
        "印染废水深度处理工艺",
        "臭氧催化氧化与膜分离组合工艺，出水可回用于生产",
        ["印染园区", "化工企业", "电镀废水"],
        6,
        "trade_secret",
    ),
    (
        "environment",
        "餐厨垃圾就地资源化设备",
        "高温好氧发酵一体机，垃圾减量率高，产物可作有机肥",
        ["学校食堂", "农贸市场", "社区集中处理点"],
        7,
        "utility_model",
    ),
    (
        "agriculture",
        "设施大棚水肥一体化智能控制系统",
        "依据土壤墒情与作物模型自动配肥灌溉，节水节肥",
        ["蔬菜大棚", "果园滴灌", "花卉育苗基地"],
        8,
        "software",
    ),
    (
        "agriculture",
        "瓯柑保鲜贮藏技术",
        "结合植物源保鲜剂与气调包装，延长柑橘贮藏期并保持风味",
        ["柑橘产地仓", "农产品电商", "冷链物流"],
        6,
        "trade_secret",
    ),
    (
        "transport",
        "电动汽车电池包轻量化壳体",
        "采用铝合金挤压型材与复合材料上盖，减重并满足碰撞安全",
        ["新能源乘用车", "电动物流车", "两轮电动车"],
        5,
        "invention_patent",
    ),
    (
        "urban_social",
        "建筑外墙空鼓无人机检测技术",
        "红外热成像与图像识别结合，快速定位外墙空鼓与渗漏",
        ["既有建筑安全排查", "物业巡检", "老旧小区改造"],
        6,
        "software",
    ),
]

# (field, problem, context, modes, budget in 万元 or None)
NEEDS = [
    (
        "advanced_manufacturing",
        "阀门密封面自动化检测",
        "我公司年产各类工业阀门二十万台，密封面缺陷目前依靠人工目检，效率低且易漏检，希望引入自动化检测方案",
        ["joint_development", "commissioned_development"],
        (30, 80),
    ),
    (
        "new_materials",
        "鞋底材料耐磨性提升",
        "现有橡胶鞋底在湿滑路面耐磨与防滑性能不足，需要新的配方或改性技术，成本增幅需可控",
        ["transfer", "commissioned_development"],
        (20, 50),
    ),
    (
        "electronic_info",
        "低压电器产品远程运维平台",
        "希望为断路器等低压电器产品增加远程监测与故障预警能力，要求兼容现有通信协议",
        ["joint_development"],
        (50, 150),
    ),
    (
        "environment",
        "电镀废水重金属回收",
        "园区电镀企业废水中含镍、铬等重金属，寻求低成本回收与达标排放一体化技术",
        ["transfer", "license"],
        None,
    ),
    (
        "new_energy",
        "注塑车间节能改造",
        "注塑机数量多、能耗高，希望通过伺服改造或余热利用等方式降低单位产品能耗",
        ["service", "commissioned_development"],
        (10, 40),
    ),
    (
        "agriculture",
        "杨梅采后保鲜",
        "杨梅采后极易腐烂，常温货架期不足两天，希望获得可规模化应用的保鲜技术",
        ["transfer", "license"],
        (15, 30),
    ),
    (
        "biomedicine",
        "医用导管表面抗凝涂层",
        "现有导管产品需提升血液相容性，寻求稳定可靠的抗凝涂层工艺并协助完成注册检验",
        ["joint_development", "license"],
        (80, 200),
    ),
    (
        "urban_social",
        "老旧管网漏损定位",
        "城区供水管网老化，漏损率偏高，需要准确定位漏点的检测技术与设备",
        ["service", "transfer"],
        (20, 60),
    ),
]

CHALLENGE = (
    "advanced_manufacturing",
    "高精度减速器关键工艺攻关",
    "面向工业机器人关节用精密减速器，攻克齿形修形与热处理变形控制难题，使传动精度与寿命达到进口同类产品水平。"
    "揭榜团队需在十八个月内完成样机并通过企业台架试验。",
    ["joint_development", "commissioned_development"],
)


def _wan(amount: int) -> Decimal:
    return Decimal(amount) * Decimal(10000)


def _fill_keywords(listing: Listing) -> None:
    if not listing.keywords:
        listing.keywords = extract_keywords(listing.title, listing.body)
        listing.keywords_extracted = True


def _event(listing_id: int, actor: User | None, to_status: str, note: str) -> None:
    db.session.add(
        ListingEvent(
            listing_id=listing_id,
            actor_id=actor.id if actor else None,
            from_status=None,
            to_status=to_status,
            note=note,
        )
    )


def seed_listings(
    users: dict[str, User], orgs: dict[str, Organisation], seed: int = 2026
) -> dict[str, int]:
    """Create the demo listings; returns how many of each kind."""
    rng = random.Random(seed)
    now = utcnow()
    researchers = [users["researcher@demo.cn"], users["institute@demo.cn"]]
    enterprises = [users["enterprise@demo.cn"], users["green@demo.cn"]]
    admin = users["admin@demo.cn"]
    made = {"achievement": 0, "demand": 0}
    statuses = ["published"] * 12 + ["pending", "pending", "draft", "rejected"]
    for index, (field, tech, does, uses, maturity, ip_type) in enumerate(TECHNOLOGIES):
        owner = researchers[index % 2]
        status = statuses[index % len(statuses)]
        use = uses[index % len(uses)]
        price = None if index % 4 == 3 else _wan(rng.choice([20, 35, 50, 80, 120, 200, 300]))
        listing: Listing = Achievement(
            org_id=owner.org_id,
            owner_id=owner.id,
            status=status,
            field=field,
            title=f"{tech}及其在{use}中的应用",
            body=(
                f"本成果{does}。已在{'、'.join(uses)}等场景完成验证，"
                f"技术成熟度处于{('实验室', '小试', '中试', '产业化')[min(3, (maturity - 1) // 2)]}阶段。"
                f"可提供技术资料、工艺包与现场指导，欢迎有意向的企业洽谈合作。"
            ),
            keywords=[tech[:6], use, *uses[:1]][:3] if index % 3 else [],
            keywords_extracted=False,
            maturity=maturity,
            ip_type=ip_type,
            patent_numbers=[f"ZL2021{10000000 + index * 7919:08d}.{index % 10}"]
            if ip_type == "invention_patent"
            else [],
            modes=rng.sample(["transfer", "license", "equity", "joint_development"], 2),
            price=price,
            region=owner.org.region,
            contact_name=owner.name,
            contact_email=owner.email,
            posted_on=date.today() - timedelta(days=3 * index),
            submitted_at=now if status != "draft" else None,
            published_at=now - timedelta(days=index) if status == "published" else None,
            reject_reason="请补充专利授权证明和应用案例。" if status == "rejected" else None,
            view_count=rng.randint(5, 240) if status == "published" else 0,
            extra={},
        )
        _fill_keywords(listing)
        db.session.add(listing)
        db.session.flush()
        _event(listing.id, owner, status, "演示数据")
        listing_changed(listing)
        made["achievement"] += 1
    for index, (field, problem, context, modes, budget) in enumerate(NEEDS):
        owner = enterprises[index % 2]
        status = "published" if index < 6 else ("pending" if index == 6 else "draft")
        listing = Demand(
            org_id=owner.org_id,
            owner_id=owner.id,
            status=status,
            field=field,
            title=f"寻求{problem}技术",
            body=f"{context}。欢迎高校、科研院所与我们联系，可实地考察生产现场。",
            keywords=[],
            keywords_extracted=False,
            modes=modes,
            budget_min=_wan(budget[0]) if budget else None,
            budget_max=_wan(budget[1]) if budget else None,
            deadline=date.today() + timedelta(days=60 + 15 * index),
            region=owner.org.region,
            contact_name=owner.name,
            contact_email=owner.email,
            posted_on=date.today() - timedelta(days=2 * index),
            submitted_at=now if status != "draft" else None,
            published_at=now - timedelta(hours=5 * index) if status == "published" else None,
            view_count=rng.randint(3, 120) if status == "published" else 0,
            extra={},
        )
        _fill_keywords(listing)
        db.session.add(listing)
        db.session.flush()
        _event(listing.id, owner, status, "演示数据")
        listing_changed(listing)
        made["demand"] += 1
    field, title, body, modes = CHALLENGE
    owner = enterprises[0]
    challenge = Demand(
        org_id=owner.org_id,
        owner_id=owner.id,
        status="published",
        field=field,
        title=title,
        body=body,
        keywords=["精密减速器", "齿形修形", "热处理变形", "工业机器人"],
        modes=modes,
        budget_min=_wan(200),
        budget_max=_wan(500),
        is_challenge=True,
        bounty=_wan(300),
        applications_open_on=date.today() - timedelta(days=7),
        applications_close_on=date.today() + timedelta(days=45),
        deadline=date.today() + timedelta(days=90),
        region=owner.org.region,
        contact_name=owner.name,
        contact_email=owner.email,
        posted_on=date.today(),
        submitted_at=now,
        published_at=now,
        view_count=86,
        extra={},
    )
    db.session.add(challenge)
    db.session.flush()
    _event(challenge.id, admin, "published", "揭榜挂帅项目，经审核发布")
    listing_changed(challenge)
    researcher = researchers[0]
    db.session.add(
        ChallengeApplication(
            demand_id=challenge.id,
            org_id=researcher.org_id,
            applicant_id=researcher.id,
            summary="基于齿面拓扑修形与真空渗碳的减速器精度提升方案。",
            team="机械工程学院传动实验室，教授一名、副教授两名、博士研究生四名，长期从事齿轮传动研究。",
            plan="第1–6个月：齿形优化设计与仿真；第7–12个月：热处理工艺试验；第13–18个月：样机试制与台架试验。",
            requested_amount=_wan(260),
            status="submitted",
        )
    )
    made["demand"] += 1
    return made
