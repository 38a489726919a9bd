"""Demo expert library, evaluations and a matchmaking event, made through the services."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.passwords import hash_password
from marketplace.database import utcnow
from marketplace.events import appointments, outcomes
from marketplace.events import services as events
from marketplace.experts import evaluations
from marketplace.experts import services as experts
from marketplace.extensions import db
from marketplace.listings.models import Achievement

# (e-mail, name, organisation, title, fields, tier, speciality)
DEMO_EXPERTS = [
    (
        "researcher@demo.cn",
        None,
        "示例大学",
        "senior",
        ["new_materials", "new_energy"],
        "major",
        "先进储能材料",
    ),
    (
        "institute@demo.cn",
        None,
        "东海材料研究院",
        "senior",
        ["new_materials"],
        "general",
        "高分子复合材料",
    ),
    (
        "expert.zhou@demo.cn",
        "周教授",
        "东海材料研究院",
        "senior",
        ["new_materials", "advanced_manufacturing"],
        "major",
        "材料成形与加工",
    ),
    (
        "expert.sun@demo.cn",
        "孙高工",
        "瓯江智能装备有限公司",
        "associate",
        ["advanced_manufacturing", "electronic_info"],
        "general",
        "智能装备",
    ),
    (
        "expert.wu@demo.cn",
        "吴研究员",
        "东海材料研究院",
        "associate",
        ["environment", "new_materials"],
        "general",
        "环境工程",
    ),
]


def _user(email: str, name: str | None, org: Organisation, password_hash: str) -> User:
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        # Extra experts sign in with the demo password too (they are not printed).
        user = User(
            email=email,
            name=name or email,
            role="researcher",
            org=org,
            password_hash=password_hash,
            active=True,
        )
        db.session.add(user)
        db.session.flush()
    return user


def seed_experts_and_events(users: dict[str, User], password: str) -> None:
    """Five experts (one with a declared tie), a finished and a requested evaluation, and an
    upcoming 对接会 with approved participants, a booked meeting and an intent."""
    admin = users["admin@demo.cn"]
    orgs = {org.name: org for org in db.session.execute(sa.select(Organisation)).scalars()}
    password_hash = hash_password(password)
    library = {}
    for email, name, org_name, title, fields, tier, speciality in DEMO_EXPERTS:
        user = _user(email, name, orgs[org_name], password_hash)
        library[email] = experts.create_expert(
            admin,
            experts.ExpertInput(
                user_id=user.id, title=title, fields=fields, tier=tier, speciality=speciality
            ),
        )
    experts.declare_tie(
        admin,
        library["expert.wu@demo.cn"].id,
        orgs["示例大学"].id,
        "兼职教授",
        date.today() - timedelta(days=500),
    )

    university = users["researcher@demo.cn"]
    published = list(
        db.session.execute(
            sa.select(Achievement)
            .where(Achievement.org_id == university.org_id, Achievement.status == "published")
            .order_by(Achievement.id)
        ).scalars()
    )
    done = evaluations.request_evaluation(
        university,
        evaluations.EvaluationRequest(
            purpose="transfer", achievement_id=published[0].id, panel_size=2
        ),
    )
    evaluations.form_panel(
        admin, done.id, [library["institute@demo.cn"].id, library["expert.zhou@demo.cn"].id]
    )
    panel_reviews = (
        ("institute@demo.cn", (78, 85, 80, 72, 88), "技术路线清晰，小试数据完整，建议开展中试。"),
        ("expert.zhou@demo.cn", (74, 80, 76, 70, 82), "创新性较强；产业化需关注原料成本。"),
    )
    for email, scores, comment in panel_reviews:
        review = evaluations.submit_review(
            library[email].user,
            done.id,
            dict(
                zip(
                    ("maturity", "innovation", "advancement", "economic_value", "potential"),
                    scores,
                    strict=True,
                )
            ),
            comment,
        )
        evaluations.rate_review(admin, review.id, 92)
    if len(published) > 1:
        evaluations.request_evaluation(
            university,
            evaluations.EvaluationRequest(
                purpose="financing", achievement_id=published[1].id, panel_size=3
            ),
        )

    start = (utcnow() + timedelta(days=10)).replace(hour=1, minute=30, second=0, microsecond=0)
    event = events.create_event(
        admin,
        events.EventInput(
            type="matchmaking",
            title="新材料与智能制造产学研对接会",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            capacity=40,
            place="温州市科技大市场三楼路演厅",
            description="发布高校院所最新科技成果，安排企业与成果团队一对一洽谈。",
            listing_ids=[listing.id for listing in published[:3]],
        ),
    )
    enterprise, institute = users["enterprise@demo.cn"], users["institute@demo.cn"]
    signups = {}
    contacts = (
        (university, "李教授 0577-88000001"),
        (enterprise, "张总工 0577-88000002"),
        (institute, "王研究员 0574-88000003"),
    )
    for user, contact in contacts:
        signups[user.email] = events.sign_up(user, event.id, contact, "寻找合作伙伴")
    for email in ("researcher@demo.cn", "enterprise@demo.cn"):
        events.review_signup(admin, signups[email].id, approve=True)
    meeting = appointments.request_appointment(
        enterprise,
        event.id,
        signups["researcher@demo.cn"].id,
        appointments.slots(event)[2],
        "导热材料在伺服电机散热中的应用",
    )
    appointments.answer_appointment(university, meeting.id, accept=True)
    outcomes.record_outcome(
        enterprise,
        event.id,
        outcomes.OutcomeInput(
            seller_org_id=university.org_id,
            buyer_org_id=enterprise.org_id,
            kind="intent",
            amount="800000",
            achievement_id=published[0].id,
            note="双方约定两周内赴现场考察。",
        ),
    )
