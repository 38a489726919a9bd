"""Hostile inputs once found by the generated suite, kept as plain regression tests."""

from __future__ import annotations

from typing import Any


def test_an_id_beyond_the_database_integer_range_is_a_404(client: Any, users: Any,
                                                          auth_headers: Any) -> None:
    headers = auth_headers(users["admin"])
    for value in (2**31, 2**63, 10**30):
        response = client.get(f"/api/v1/jobs/{value}", headers=headers)
        assert response.status_code == 404
        assert response.json["error"]["code"]


def test_absurd_page_numbers_and_years_in_list_pages(client: Any, users: Any,
                                                     login_as: Any) -> None:
    login_as(users["broker"])
    for path in ("/notifications?page=18446744073709551616", "/contracts?page=18446744073709551616",
                 "/contracts?year=-1", "/contracts?year=99999", "/deals?page=99999999999999999999"):
        assert client.get(path).status_code < 500, path
