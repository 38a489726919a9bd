"""Demo data for shared instruments and innovation vouchers: a scheme, two providers, a few
instruments with bookings, and vouchers at several stages — made through the services, so
every step has its audit trail."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.instruments import services as instruments
from marketplace.instruments.models import Booking
from marketplace.listings.attachments import Upload
from marketplace.vouchers import jobs, schemes, services
from marketplace.vouchers.models import Voucher

# A minimal valid PDF: the demo's redemption documents.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n"
    b"<< /Root 1 0 R >>\n%%EOF\n"
)

# (owner, name, model, category, fee, unit, specification)
DEMO_INSTRUMENTS = [
    (
        "示例大学",
        "场发射扫描电子显微镜",
        "Hitachi SU8010",
        "imaging",
        "300.00",
        "hour",
        "分辨率 1.0 nm（15 kV），配能谱仪",
    ),
    (
        "示例大学",
        "X 射线衍射仪",
        "Bruker D8 Advance",
        "analysis",
        "200.00",
        "sample",
        "Cu 靶，2θ 范围 5°–140°",
    ),
    (
        "示例大学",
        "高性能计算集群",
        "曙光 TC6600",
        "computing",
        "50.00",
        "hour",
        "2,048 核，8 张 GPU",
    ),
    (
        "东海材料研究院",
        "万能材料试验机",
        "Instron 5985",
        "testing",
        "400.00",
        "hour",
        "最大载荷 250 kN，高低温箱 −70～350 ℃",
    ),
    (
        "东海材料研究院",
        "激光共聚焦显微镜",
        "Zeiss LSM 980",
        "imaging",
        "0.00",
        "hour",
        "院内公益开放时段免费",
    ),
]


def _slot(days: int, hour: int, hours: int) -> tuple:
    start = (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=hours)


def _into_past(booking: Booking, days_ago: int) -> None:
    # The demo needs used bookings; slots can only be booked ahead, so time "passes" here.
    length = booking.ends_at - booking.starts_at
    booking.starts_at = booking.starts_at - timedelta(days=days_ago + 30)
    booking.ends_at = booking.starts_at + length
    db.session.commit()


def seed_vouchers_and_instruments() -> None:
    users = {user.email: user for user in db.session.execute(sa.select(User)).scalars()}
    orgs = {org.name: org for org in db.session.execute(sa.select(Organisation)).scalars()}
    admin, enterprise = users["admin@demo.cn"], users["enterprise@demo.cn"]
    professor, institute = users["researcher@demo.cn"], users["institute@demo.cn"]
    today = date.today()
    scheme = schemes.create_scheme(
        admin,
        schemes.SchemeData(
            name="温州市科技创新券",
            year=today.year,
            budget=Decimal("2000000.00"),
            eligible_kinds=("enterprise",),
            services=("development", "service", "testing", "instrument"),
            ratio_percent=50,
            cap_per_application=Decimal("100000.00"),
            cap_per_enterprise_year=Decimal("200000.00"),
            full_offset_below=Decimal("2000.00"),
            payee_mode="provider",
            opens_on=date(today.year, 1, 1),
            use_by=today + timedelta(days=180),
            redeem_by=today + timedelta(days=270),
            publication_days=5,
        ),
        open_now=True,
    )
    schemes.approve_provider(
        admin,
        orgs["示例大学"].id,
        ("development", "service", "testing", "instrument"),
        "高校测试中心",
    )
    schemes.approve_provider(admin, orgs["东海材料研究院"].id, ("testing", "instrument"))

    made = {}
    for owner, name, model, category, fee, unit, spec in DEMO_INSTRUMENTS:
        actor = professor if owner == "示例大学" else institute
        made[name] = instruments.create_instrument(
            actor,
            instruments.InstrumentData(
                name=name,
                model_no=model,
                category=category,
                fee=Decimal(fee),
                fee_unit=unit,
                location=f"{owner}公共测试平台",
                specification=spec,
                open_hours="工作日 8:30–17:00",
            ),
        )

    # A voucher used on the electron microscope, redeemed after its publication period.
    sem = made["场发射扫描电子显微镜"]
    used = services.apply_for_voucher(
        enterprise,
        services.Application(
            scheme_id=scheme.id,
            service_type="instrument",
            requested_amount=Decimal("20000"),
            purpose="新型合金断口形貌与成分分析",
        ),
    )
    services.approve_voucher(admin, used.id, Decimal("15000"))
    services.use_voucher(enterprise, used.id, orgs["示例大学"].id, Decimal("15000"))
    services.confirm_voucher(professor, used.id, "已安排机时")
    start, end = _slot(3, 1, 6)
    booking = instruments.request_booking(
        enterprise,
        sem.id,
        instruments.BookingData(
            starts_at=start, ends_at=end, purpose="断口形貌观察", samples=6, voucher_id=used.id
        ),
    )
    instruments.approve_booking(professor, booking.id)
    _into_past(booking, 20)
    instruments.complete_booking(professor, booking.id, instruments.UsageData(note="按时完成"))
    services.request_redemption(
        enterprise,
        used.id,
        services.Redemption(
            booking_id=booking.id,
            documents={
                kind: Upload(f"{kind}.pdf", DEMO_PDF) for kind in ("invoice", "payment", "result")
            },
        ),
    )
    services.review_redemption(admin, used.id, "approve", note="材料齐全")
    reviewed = db.session.get(Voucher, used.id)
    assert reviewed is not None
    # Reviewed "a week ago": its publication period is over, the scheduled job redeems it.
    reviewed.publication_ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    jobs.finish_publications()

    # Other stages: ordered with the institute, approved and unused, applied, refused.
    ordered = services.apply_for_voucher(
        enterprise,
        services.Application(
            scheme_id=scheme.id,
            service_type="testing",
            requested_amount=Decimal("30000"),
            purpose="复合材料力学性能检测",
        ),
    )
    services.approve_voucher(admin, ordered.id)
    services.use_voucher(enterprise, ordered.id, orgs["东海材料研究院"].id, Decimal("30000"))
    unused = services.apply_for_voucher(
        enterprise,
        services.Application(
            scheme_id=scheme.id,
            service_type="development",
            requested_amount=Decimal("50000"),
            purpose="智能装备控制算法委托开发",
        ),
    )
    services.approve_voucher(admin, unused.id, Decimal("40000"))
    services.apply_for_voucher(
        enterprise,
        services.Application(
            scheme_id=scheme.id,
            service_type="service",
            requested_amount=Decimal("10000"),
            purpose="工艺优化技术咨询",
        ),
    )
    green = users["green@demo.cn"]
    refused = services.apply_for_voucher(
        green,
        services.Application(
            scheme_id=scheme.id,
            service_type="testing",
            requested_amount=Decimal("8000"),
            purpose="废水检测",
        ),
    )
    services.refuse_voucher(admin, refused.id, "incomplete", "请补充营业执照与检测方案")

    # Bookings waiting for the owner, and one approved for next week.
    tester = made["万能材料试验机"]
    start, end = _slot(5, 1, 3)
    instruments.request_booking(
        enterprise,
        tester.id,
        instruments.BookingData(starts_at=start, ends_at=end, purpose="拉伸试验", samples=10),
    )
    start, end = _slot(7, 2, 2)
    approved = instruments.request_booking(
        enterprise,
        made["X 射线衍射仪"].id,
        instruments.BookingData(starts_at=start, ends_at=end, purpose="物相分析", samples=4),
    )
    instruments.approve_booking(professor, approved.id, "请提前半小时到场")
