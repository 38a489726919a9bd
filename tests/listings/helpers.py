"""Small builders shared by the listing tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import OutboxMessage

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages "
    b"/Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def listing_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one()


def outbox_ids(topic: str) -> list[int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.payload).where(OutboxMessage.topic == topic)
    ).scalars()
    return [payload["listing_id"] for payload in rows if "listing_id" in payload]


def achievement_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "高导热石墨烯薄膜",
        "summary": "采用化学气相沉积制备石墨烯薄膜，用于电子器件散热。",
        "field": "new_materials",
        "maturity": 6,
        "ip_type": "invention_patent",
        "modes": ["transfer"],
        "price": "500000.00",
    }
    data.update(overrides)
    return data


def demand_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "寻求阀门密封面检测技术",
        "description": "需要自动化检测阀门密封面缺陷。",
        "field": "advanced_manufacturing",
        "modes": ["joint_development"],
        "budget_min": "100000",
        "budget_max": "300000",
    }
    data.update(overrides)
    return data
