"""The administrator's organisation and user lists page through every row (no silent cap)."""

from __future__ import annotations

from marketplace.accounts.views import ADMIN_PER_PAGE
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import OrganisationFactory


def test_unverified_organisations_are_all_reachable_page_by_page(client, make_user):
    admin = make_user("admin")
    names = [
        OrganisationFactory(verified=False, name=f"待核单位{i:03d}").name
        for i in range(ADMIN_PER_PAGE + 3)
    ]
    db.session.commit()
    login(client, admin)
    first = client.get("/admin/organisations").get_data(as_text=True)
    second = client.get("/admin/organisations?page=2").get_data(as_text=True)
    shown = [name for name in names if name in first]
    rest = [name for name in names if name in second]
    assert len(shown) == ADMIN_PER_PAGE and len(rest) == 3
    assert sorted(shown + rest) == sorted(names)
    assert "?page=2" in first  # the pager links to the next page


def test_user_list_pages_and_keeps_its_filter(client, make_user):
    admin = make_user("admin")
    inactive = [make_user("enterprise", active=False).email for _ in range(ADMIN_PER_PAGE + 1)]
    db.session.commit()
    login(client, admin)
    first = client.get("/admin/users?status=inactive").get_data(as_text=True)
    second = client.get("/admin/users?status=inactive&page=2").get_data(as_text=True)
    assert admin.email not in first + second
    assert sum(email in first for email in inactive) == ADMIN_PER_PAGE
    assert sum(email in second for email in inactive) == 1
    assert "status=inactive" in first and "page=2" in first
