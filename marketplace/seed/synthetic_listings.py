"""Synthetic achievements and demands from the project's own templates and term lists.

Fast bulk inserts (Core ``insert`` in chunks, keywords derived from the template terms instead of
running jieba per row) and no outbox rows: callers run ``marketplace search reindex`` afterwards.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.vocab import IP_TYPES, MODES

# field -> (objects, techniques, purposes) — written for this project.
TERMS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "electronic_info": (
        [
            "智能传感器",
            "边缘计算网关",
            "工业物联网平台",
            "图像识别算法",
            "激光雷达",
            "嵌入式控制器",
            "知识图谱系统",
            "功率器件",
            "射频识别标签",
            "数字孪生平台",
        ],
        ["深度学习", "低功耗设计", "多源数据融合", "机器视觉", "北斗定位", "自适应滤波"],
        ["设备故障诊断", "智慧园区管理", "产线质量检测", "远程运维", "能耗监测"],
    ),
    "aerospace": (
        ["无人机", "飞行控制系统", "卫星遥感载荷", "航空复合材料构件", "机载传感器"],
        ["轻量化设计", "自主导航", "遥感影像解译", "高精度姿态控制"],
        ["电力巡检", "应急测绘", "农业植保", "森林防火监测"],
    ),
    "advanced_manufacturing": (
        [
            "工业机器人",
            "数控机床",
            "激光熔覆装备",
            "精密减速器",
            "伺服电机",
            "自动化生产线",
            "增材制造设备",
            "视觉检测装置",
        ],
        ["激光焊接", "超精密加工", "在线检测", "柔性装配", "3D打印", "热处理工艺优化"],
        ["汽车零部件制造", "模具修复", "电子产品装配", "航空零件加工"],
    ),
    "biomedicine": (
        [
            "单克隆抗体",
            "体外诊断试剂盒",
            "中药提取物",
            "医用敷料",
            "康复器械",
            "基因检测芯片",
            "缓释制剂",
            "益生菌制剂",
        ],
        ["微生物发酵", "分子诊断", "纳米药物递送", "细胞培养", "酶法催化"],
        ["肿瘤早期筛查", "慢性病管理", "术后康复", "动物疫病防控", "功能性食品"],
    ),
    "new_materials": (
        [
            "石墨烯导热膜",
            "碳纤维复合材料",
            "高温合金",
            "气凝胶隔热毡",
            "可降解塑料",
            "稀土永磁材料",
            "防腐涂层",
            "陶瓷基复合材料",
            "纳米纤维素",
        ],
        ["化学气相沉积", "溶胶凝胶法", "粉末冶金", "表面改性", "熔融纺丝"],
        ["电子器件散热", "新能源汽车轻量化", "海洋工程防腐", "建筑保温", "包装材料替代"],
    ),
    "new_energy": (
        [
            "锂离子电池",
            "固态电池",
            "燃料电池电堆",
            "光伏组件",
            "储能系统",
            "电池管理系统",
            "磷酸铁锂正极材料",
            "余热回收装置",
            "热泵机组",
        ],
        ["电解水制氢", "梯次利用", "高效换热", "快速充电", "功率预测"],
        ["电网调峰", "工业节能", "电动汽车", "分布式发电", "锂电池回收"],
    ),
    "environment": (
        [
            "膜生物反应器",
            "反渗透膜组件",
            "脱硫脱硝催化剂",
            "土壤修复药剂",
            "污泥干化设备",
            "挥发性有机物治理装置",
            "垃圾焚烧烟气净化系统",
            "水质在线监测仪",
        ],
        ["高级氧化", "光催化降解", "生物炭吸附", "厌氧发酵", "湿法冶金回收"],
        [
            "工业废水处理",
            "重金属污染治理",
            "固体废物资源化利用",
            "农村生活污水处理",
            "废旧锂电池回收",
        ],
    ),
    "nuclear": (
        ["辐照装置", "同位素示踪剂", "辐射防护材料", "核医学显像设备"],
        ["电子束辐照", "中子活化分析", "剂量监测"],
        ["食品辐照保鲜", "医疗器械灭菌", "无损检测"],
    ),
    "agriculture": (
        [
            "水肥一体化系统",
            "生物农药",
            "有机肥",
            "植物工厂",
            "饲料添加剂",
            "果蔬保鲜剂",
            "农业机械",
            "水产养殖循环水系统",
        ],
        ["分子育种", "精准施肥", "病虫害绿色防控", "秸秆综合利用", "冷链物流"],
        ["设施农业增产", "畜禽养殖减抗", "农产品加工", "盐碱地改良"],
    ),
    "transport": (
        ["智能网联汽车", "轨道交通牵引系统", "交通信号控制系统", "充电桩", "船舶动力系统"],
        ["车路协同", "自动驾驶", "轻量化车身", "能量回馈制动"],
        ["城市交通治理", "港口物流", "公交电动化", "货运调度"],
    ),
    "urban_social": (
        [
            "装配式建筑构件",
            "建筑节能墙体",
            "智慧社区平台",
            "消防预警系统",
            "海绵城市透水铺装",
            "再生混凝土",
        ],
        ["BIM协同设计", "绿色建材", "结构健康监测", "雨水收集利用"],
        ["老旧小区改造", "应急管理", "城市内涝防治", "公共安全"],
    ),
}
FIELD_WEIGHTS = {
    "electronic_info": 20,
    "advanced_manufacturing": 16,
    "biomedicine": 12,
    "new_materials": 12,
    "new_energy": 11,
    "environment": 10,
    "agriculture": 8,
    "urban_social": 5,
    "transport": 3,
    "aerospace": 2,
    "nuclear": 1,
}

ACHIEVEMENT_TITLES = [
    "基于{tech}的{obj}",
    "{obj}及其{tech}制备方法",
    "面向{use}的{obj}关键技术",
    "一种用于{use}的{obj}",
    "{tech}在{use}中的应用",
    "高性能{obj}研发与产业化",
]
ACHIEVEMENT_BODIES = [
    "本成果针对{use}中存在的效率低、成本高等问题，采用{tech}技术研制了{obj}。{detail}经测试，{metric}，"
    "已申请相关专利，可在{region_hint}等地推广应用。",
    "项目团队长期从事{obj}研究，突破了{tech}关键工艺，{detail}产品{metric}，适用于{use}，"
    "可与企业开展技术转让或合作开发。",
    "该技术以{tech}为核心，开发出新型{obj}，{detail}与现有方案相比{metric}，市场前景广阔。",
]
DEMAND_TITLES = [
    "寻求{obj}技术",
    "{use}用{obj}技术需求",
    "征集{tech}解决方案",
    "{obj}国产化替代需求",
    "关于{use}的技术攻关",
]
DEMAND_BODIES = [
    "我公司主要从事{use}相关业务，现有工艺存在能耗高、良品率低的问题，希望引进{tech}技术，"
    "开发适合自身产线的{obj}。{detail}",
    "企业计划升级{obj}，需要具备{tech}经验的高校或科研院所合作，解决{use}中的关键难题。{detail}",
    "因业务发展需要，现寻求成熟的{obj}技术，要求{metric}，可采用委托开发或技术转让方式合作。{detail}",
]
DETAILS = [
    "关键指标达到国内先进水平。",
    "已完成中试验证。",
    "具备小批量生产能力。",
    "工艺流程简单，易于放大。",
    "配套软件可远程升级维护。",
    "原料来源广泛，成本可控。",
]
METRICS = [
    "效率提升30%以上",
    "成本降低约20%",
    "使用寿命延长一倍",
    "能耗下降15%",
    "检测精度达到0.01毫米",
    "产品合格率超过99%",
]
REGION_HINTS = ["长三角", "珠三角", "京津冀", "成渝地区", "中部地区"]
# (org kind, name pattern) — regions drawn from real GB/T 2260 city codes.
REGIONS = [
    "330100",
    "330300",
    "330200",
    "320100",
    "320500",
    "310000",
    "110000",
    "440300",
    "440100",
    "510100",
    "420100",
    "610100",
    "370200",
    "350200",
    "340100",
    "430100",
]
UNIVERSITY_NAMES = ["理工大学", "工业大学", "科技大学", "农业大学", "医科大学", "师范大学"]
INSTITUTE_NAMES = ["先进技术研究院", "材料研究所", "生物技术研究所", "智能制造研究院", "能源研究所"]
ENTERPRISE_NAMES = [
    "智能科技有限公司",
    "新材料股份有限公司",
    "环保工程有限公司",
    "生物医药有限公司",
    "装备制造有限公司",
    "新能源科技有限公司",
    "农业发展有限公司",
]
CITY_PREFIX = {
    "330100": "杭州",
    "330300": "温州",
    "330200": "宁波",
    "320100": "南京",
    "320500": "苏州",
    "310000": "上海",
    "110000": "北京",
    "440300": "深圳",
    "440100": "广州",
    "510100": "成都",
    "420100": "武汉",
    "610100": "西安",
    "370200": "青岛",
    "350200": "厦门",
    "340100": "合肥",
    "430100": "长沙",
}


def _organisations(rng: random.Random, count: int, kinds: list[str], tag: str) -> list[int]:
    rows = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        region = rng.choice(REGIONS)
        city = CITY_PREFIX[region]
        base = {
            "university": UNIVERSITY_NAMES,
            "institute": INSTITUTE_NAMES,
            "enterprise": ENTERPRISE_NAMES,
        }[kind]
        rows.append(
            {
                "name": f"{city}{rng.choice(base)}-{tag}{i:05d}",
                "kind": kind,
                "region": region,
                "verified": True,
            }
        )
    result = db.session.execute(sa.insert(Organisation).returning(Organisation.id), rows)
    return list(result.scalars())


def _fill(
    rng: random.Random, template: str, terms: tuple[list[str], list[str], list[str]]
) -> tuple[str, list[str]]:
    objs, techs, uses = terms
    chosen = {"obj": rng.choice(objs), "tech": rng.choice(techs), "use": rng.choice(uses)}
    text = template.format(
        **chosen,
        detail=rng.choice(DETAILS),
        metric=rng.choice(METRICS),
        region_hint=rng.choice(REGION_HINTS),
    )
    return text, [chosen["obj"], chosen["tech"], chosen["use"]]


def _listing_rows(
    rng: random.Random, kind: str, count: int, org_ids: list[int], start_ref: int
) -> list[dict[str, Any]]:
    fields = list(FIELD_WEIGHTS)
    weights = list(FIELD_WEIGHTS.values())
    now = utcnow()
    rows = []
    titles, bodies = (
        (ACHIEVEMENT_TITLES, ACHIEVEMENT_BODIES)
        if kind == "achievement"
        else (DEMAND_TITLES, DEMAND_BODIES)
    )
    for i in range(count):
        field = rng.choices(fields, weights)[0]
        terms = TERMS[field]
        title, title_terms = _fill(rng, rng.choice(titles), terms)
        body, body_terms = _fill(rng, rng.choice(bodies), terms)
        keywords = list(dict.fromkeys(title_terms + body_terms))[:6]
        published = now - timedelta(days=rng.randint(0, 900), seconds=rng.randint(0, 86400))
        row: dict[str, Any] = {
            "kind": kind,
            "ref": f"S{kind[0].upper()}{start_ref + i:07d}",
            "org_id": rng.choice(org_ids),
            "title": title[:200],
            "body": body,
            "keywords": keywords,
            "keywords_extracted": True,
            "field": field,
            "maturity": rng.randint(1, 9) if rng.random() < 0.9 else None,
            "modes": rng.sample(MODES.codes, rng.randint(1, 3)),
            "status": "published",
            "published_at": published,
            "posted_on": published.date(),
            "created_at": published,
            "updated_at": published,
            "view_count": 0,
            "patent_numbers": [],
            "extra": {},
            "is_challenge": False,
        }
        if kind == "achievement":
            row["ip_type"] = rng.choice(IP_TYPES.codes)
            row["price"] = (
                None
                if rng.random() < 0.3
                else Decimal(rng.choice([5, 10, 20, 30, 50, 80, 100, 200, 500, 1000])) * 10000
            )
        else:
            row["region"] = rng.choice(REGIONS)
            if rng.random() < 0.7:
                low = Decimal(rng.choice([5, 10, 20, 50, 100])) * 10000
                row["budget_min"] = low
                row["budget_max"] = low * rng.choice([2, 3, 5])
            row["deadline"] = date.today() + timedelta(days=rng.randint(30, 365))
        rows.append(row)
    return rows


def generate_listings(achievements: int, demands: int, seed: int) -> dict[str, int]:
    """Insert published synthetic listings (and their organisations); returns the counts.

    Writes no outbox messages: run ``marketplace search reindex`` afterwards.
    """
    rng = random.Random(seed)  # noqa: S311 — reproducible test data, not security
    tag = f"{seed}-{rng.randrange(16**6):06x}"
    sellers = _organisations(
        rng, max(1, achievements // 200), ["university", "institute", "enterprise"], f"S{tag}-"
    )
    buyers = _organisations(rng, max(1, demands // 50), ["enterprise"], f"B{tag}-")
    chunk = 5000
    start = rng.randrange(10**6)
    table = cast(sa.Table, Listing.__table__)
    for kind, count, orgs in (("achievement", achievements, sellers), ("demand", demands, buyers)):
        done = 0
        while done < count:
            size = min(chunk, count - done)
            rows = _listing_rows(rng, kind, size, orgs, start + done)
            # One column set per insert (executemany needs the same keys in every row).
            keys = set().union(*(row.keys() for row in rows))
            db.session.execute(sa.insert(table), [{k: row.get(k) for k in keys} for row in rows])
            done += size
        db.session.commit()
    return {"achievements": achievements, "demands": demands}
