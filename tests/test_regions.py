"""Regions follow the current GB/T 2260 codes; abolished codes stay readable on old records."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from marketplace import vocab
from marketplace.accounts.services import NewOrganisation, _validate_org
from marketplace.errors import ValidationError
from tests.factories import OrganisationFactory
from tests.stats.helpers import register_contract


def test_current_prefectures_are_offered_and_abolished_ones_are_not(app):
    with app.test_request_context(), force_locale("zh_CN"):
        offered = dict(vocab.region_choices())
    for code, name in (
        ("540300", "昌都市"),
        ("540200", "日喀则市"),
        ("650500", "哈密市"),
        ("650400", "吐鲁番市"),
        ("460400", "儋州市"),
    ):
        assert name in offered[code]
        assert vocab.is_region(code)
    for code in ("371200", "542100", "542300", "652200"):  # 莱芜市, 昌都地区, 日喀则地区, 哈密地区
        assert code not in offered
        assert not vocab.is_region(code)  # no new record may use it


def test_abolished_code_reads_as_the_place_it_named(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert vocab.region_name("371200") == "山东省 莱芜市（2019年撤销，今济南市）"
        assert vocab.region_name("542100") == "西藏自治区 昌都地区（2014年撤销，今昌都市）"
        assert vocab.region_name("540300") == "西藏自治区 昌都市"


def test_new_organisation_cannot_use_an_abolished_code(app):
    with app.test_request_context(), force_locale("en"), pytest.raises(ValidationError) as error:
        _validate_org(
            NewOrganisation(name="莱芜钢铁新材料有限公司", kind="enterprise", region="371200")
        )
    assert "region" in error.value.fields
    with app.test_request_context():
        _validate_org(
            NewOrganisation(name="济南新材料有限公司", kind="enterprise", region="370100")
        )


def test_old_contract_under_an_old_code_shows_in_the_statistics(client, users, login_as):
    from marketplace.stats import services

    seller = OrganisationFactory(kind="enterprise", region="371200")  # before 2019
    register_contract(
        seller=seller, signed_on=date(2018, 6, 1), amount="500000.00", tech="500000.00"
    )
    services.drain_updates()
    login_as(users["admin"])
    html = client.get("/admin/stats?year=2018&region=370000").get_data(as_text=True)
    assert "莱芜市（2019年撤销，今济南市）" in html
    # The dashboard may be scoped to the old prefecture itself, for its past years.
    assert client.get("/admin/stats?year=2018&region=371200").status_code == 200
