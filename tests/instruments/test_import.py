"""CSV and XLSX import of an owner's instruments: all rows or none, re-import by ref updates."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook

from marketplace.extensions import db
from marketplace.instruments.models import Instrument
from tests.conftest import login
from tests.factories import OrganisationFactory, UserFactory

CSV = (
    "ref,name,model,category,fee,fee_unit,location\n"
    "A-1,核磁共振波谱仪,Bruker 400M,analysis,500,hour,化学楼\n"
    "A-2,紫外可见分光光度计,UV-2600,analysis,80.5,sample,化学楼\n"
)


def _all() -> list[Instrument]:
    return list(db.session.execute(sa.select(Instrument).order_by(Instrument.ref)).scalars())


def test_csv_import_then_reimport_updates(app, client):
    owner = UserFactory(role="researcher", org=OrganisationFactory(kind="university"))
    login(client, owner)
    response = client.post(
        "/instruments/import",
        data={"file": (io.BytesIO(CSV.encode("gb18030")), "instruments.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert [(i.ref, i.fee, i.fee_unit) for i in _all()] == [
        ("A-1", Decimal("500.00"), "hour"),
        ("A-2", Decimal("80.50"), "sample"),
    ]
    again = CSV.replace("500,hour", "450,hour")
    client.post(
        "/instruments/import",
        data={"file": (io.BytesIO(again.encode()), "instruments.csv")},
        content_type="multipart/form-data",
    )
    assert [i.fee for i in _all()] == [Decimal("450.00"), Decimal("80.50")]
    assert all(i.org_id == owner.org_id for i in _all())


def test_xlsx_with_a_bad_row_imports_nothing(app, client):
    login(client, UserFactory(role="researcher", org=OrganisationFactory(kind="university")))
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "category", "fee"])
    sheet.append(["原子力显微镜", "imaging", "300"])
    sheet.append(["无类别仪器", "spaceship", "-5"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/instruments/import",
        data={"file": (io.BytesIO(buffer.getvalue()), "instruments.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "category" in page and "fee" in page
    assert _all() == []


def test_rows_without_a_ref_update_on_reimport_and_twins_need_refs(app, client):
    login(client, UserFactory(role="researcher", org=OrganisationFactory(kind="university")))
    rows = "name,model,category,fee\n原子力显微镜,AFM-5,imaging,300\n液相色谱仪,,analysis,200\n"

    def send(text: str) -> Any:
        return client.post(
            "/instruments/import",
            data={"file": (io.BytesIO(text.encode()), "instruments.csv")},
            content_type="multipart/form-data",
        )

    assert send(rows).status_code == 302
    assert send(rows.replace("300", "320")).status_code == 302
    assert sorted((i.name, i.fee) for i in _all()) == [
        ("原子力显微镜", Decimal("320.00")),
        ("液相色谱仪", Decimal("200.00")),
    ]
    twins = send(rows + "原子力显微镜,AFM-5,imaging,310\n")
    assert twins.status_code == 422
    assert "ref" in twins.get_data(as_text=True)
    assert len(_all()) == 2
