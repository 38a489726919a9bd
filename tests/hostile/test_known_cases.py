"""Hostile inputs once found by the generated suite, kept as plain regression tests."""

from __future__ import annotations

from typing import Any


def test_an_id_beyond_the_database_integer_range_is_a_404(
    client: Any, users: Any, auth_headers: Any
) -> None:
    headers = auth_headers(users["admin"])
    for value in (2**31, 2**63, 10**30):
        response = client.get(f"/api/v1/jobs/{value}", headers=headers)
        assert response.status_code == 404
        assert response.json["error"]["code"]


def test_absurd_page_numbers_and_years_in_list_pages(
    client: Any, users: Any, login_as: Any
) -> None:
    login_as(users["broker"])
    for path in (
        "/notifications?page=18446744073709551616",
        "/contracts?page=18446744073709551616",
        "/contracts?year=-1",
        "/contracts?year=99999",
        "/deals?page=99999999999999999999",
    ):
        assert client.get(path).status_code < 500, path


# -- found by schemathesis and a hand fuzzer (issue 13): each was a 500 on one database --------


def test_nul_in_a_query_string_is_refused_by_name(
    client: Any, users: Any, auth_headers: Any
) -> None:
    # PostgreSQL refuses NUL in text; an anonymous visitor could turn it into a 500.
    for path in ("/achievements?q=a%00b", "/demands?q=%00", "/search?q=a%00b"):
        response = client.get(path)
        assert response.status_code == 422, path
        assert "q: " in response.get_data(as_text=True)
    headers = auth_headers(users["broker"])
    for path in ("/api/v1/achievements?q=a%00b", "/api/v1/contracts?q=a%00b"):
        response = client.get(path, headers=headers)
        assert response.status_code == 422, path
        assert set(response.json["error"]["fields"]) == {"q"}


def test_ids_past_the_column_range_in_json_bodies(
    client: Any, users: Any, auth_headers: Any
) -> None:
    broker, enterprise = auth_headers(users["broker"]), auth_headers(users["enterprise"])
    for value in (2**31, 2**63, 2**64, -(2**31) - 1):
        for path, body, headers in (
            ("/api/v1/contracts", {"title": "t", "seller_org_id": value}, broker),
            ("/api/v1/contracts", {"title": "t", "deal_id": value}, broker),
            ("/api/v1/deals", {"achievement_id": value}, broker),
            ("/api/v1/deals", {"achievement_id": 1, "buyer_org_id": value}, broker),
            ("/api/v1/interests", {"achievement_id": value}, enterprise),
        ):
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 422, (path, body)
            field = next(name for name in body if body[name] == value)
            assert field in response.json["error"]["fields"], (path, response.json)
    # The largest INTEGER passes the boundary: the service answers "no such achievement".
    response = client.post("/api/v1/deals", json={"achievement_id": 2**31 - 1}, headers=broker)
    assert response.status_code == 422
    assert "achievement_id" in response.json["error"]["fields"]


def test_lone_surrogates_and_nul_in_json_text(client: Any, users: Any, auth_headers: Any) -> None:
    headers = {**auth_headers(users["broker"]), "Content-Type": "application/json"}
    for raw in (
        b'{"title": "\\ud800"}',
        b'{"title": "a\\udfffb"}',
        b'{"title": "a\\u0000b"}',
        b'{"title": "ok", "line_items": [{"description": "\\ud83d"}]}',
    ):
        response = client.post("/api/v1/contracts", data=raw, headers=headers)
        assert response.status_code == 422, raw
        fields = response.json["error"]["fields"]
        assert "title" in fields or "line_items.0.description" in fields, fields
    # A valid pair is one character (an emoji) and is not refused by the boundary.
    response = client.post(
        "/api/v1/contracts", data=b'{"title": "\\ud83d\\ude00"}', headers=headers
    )
    assert "title" not in response.json["error"].get("fields", {})


def test_pathological_json_is_refused_before_parsing(
    client: Any, users: Any, auth_headers: Any
) -> None:
    headers = {**auth_headers(users["broker"]), "Content-Type": "application/json"}
    cases = {
        b"[" * 5000 + b"]" * 5000: 400,
        b'{"achievement_id": ' + b"1" * 5000 + b"}": 422,
        b'{"achievement_id": 1e999}': 422,
        b"[" + b"0," * 20_000 + b"0]": 400,
    }
    for raw, status in cases.items():
        response = client.post("/api/v1/deals", data=raw, headers=headers)
        assert response.status_code == status, raw[:40]
        assert response.json["error"]["code"] in ("invalid_json", "validation_error")


def test_a_multipart_part_whose_name_cannot_be_parsed_is_refused(
    client: Any, users: Any, auth_headers: Any
) -> None:
    # Found by schemathesis on the signed-copy upload: name="\" reached the boundary as None.
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="\\"\r\n\r\n{}\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        b"%PDF-1.4\r\n--XX--\r\n"
    )
    response = client.post(
        "/api/v1/contracts/1/signed-copy",
        data=body,
        content_type="multipart/form-data; boundary=XX",
        headers=auth_headers(users["admin"]),
    )
    assert response.status_code == 422
    assert "_form" in response.json["error"]["fields"]
