"""CSRF, throttling, headers and cookies."""

import re

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.factories import PASSWORD, UserFactory


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app):
    client = csrf_app.test_client()
    response = client.post(
        "/register",
        data={
            "role": "researcher",
            "name": "李明",
            "email": "li@example.cn",
            "password": "a-long-password",
            "confirm": "a-long-password",
            "org_mode": "new",
            "org_name": "示范学院",
            "org_kind": "university",
        },
    )
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_form_post_with_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    user = UserFactory()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_admin_action_without_csrf_is_refused(csrf_app):
    client = csrf_app.test_client()
    admin, target = UserFactory(role="admin"), UserFactory()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    response = client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, target.id).active


def test_repeated_wrong_passwords_are_throttled_per_account(client):
    user = UserFactory()
    statuses = [
        client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": "wrong"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password is refused while the account is throttled.
    blocked = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "too_many_requests"


def test_web_login_is_throttled_with_a_clear_page(client):
    user = UserFactory()
    for _ in range(5):
        client.post("/login", data={"email": user.email, "password": "wrong"})
    response = client.post("/login", data={"email": user.email, "password": "wrong"})
    assert response.status_code == 429
    assert "<html" in response.get_data(as_text=True)


def test_per_address_limit_applies_across_accounts(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    with app.app_context():
        statuses = [
            client.post(
                "/api/v1/auth/token", json={"email": f"u{i}@x.cn", "password": "bad"}
            ).status_code
            for i in range(4)
        ]
    assert statuses == [401, 401, 401, 429]


def test_successful_logins_are_not_counted(client):
    user = UserFactory()
    for _ in range(7):
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 200


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "<script>" not in response.get_data(as_text=True)


def test_session_cookie_flags(client):
    user = UserFactory()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_demands_secrets(monkeypatch):
    import pytest

    from config import ConfigurationError, load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError):
        load_config("production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/x")
    config = load_config("production")
    assert config.SESSION_COOKIE_SECURE
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")


def test_development_secret_is_generated_per_instance(tmp_path, monkeypatch):
    from config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MARKETPLACE_INSTANCE_DIR", str(tmp_path / "a"))
    first = load_config("development").SECRET_KEY
    assert first == load_config("development").SECRET_KEY
    monkeypatch.setenv("MARKETPLACE_INSTANCE_DIR", str(tmp_path / "b"))
    assert first != load_config("development").SECRET_KEY
    assert len(first) >= 40


def _first_throttled(statuses: list[int]) -> int | None:
    """1-based number of the first attempt refused with 429."""
    return next((n for n, status in enumerate(statuses, 1) if status == 429), None)


def _attempt(client, door: str, email: str) -> int:
    if door == "web":
        return client.post("/login", data={"email": email, "password": "wrong"}).status_code
    return client.post("/api/v1/auth/token", json={"email": email, "password": "wrong"}).status_code


def test_one_throttle_whatever_the_door(make_app):
    """6 wrong passwords on the web form, then 6 on the API, are throttled at the same attempt
    as 12 on one door: the two doors share one per-account counter (and one per address)."""
    # A wide per-address limit: this test is about the per-account counter.
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="1000 per 15 minutes")
    with app.app_context():
        runs = {}
        for name, doors in (
            ("web", ["web"] * 12),
            ("api", ["api"] * 12),
            ("web then api", ["web"] * 6 + ["api"] * 6),
            ("api then web", ["api"] * 6 + ["web"] * 6),
        ):
            user = UserFactory()
            client = app.test_client()
            runs[name] = [_attempt(client, door, user.email) for door in doors]
        # The right password is refused on the other door too while the account is throttled.
        right = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        assert right.status_code == 429
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for name, statuses in runs.items():
        assert _first_throttled(statuses) == limit + 1, (name, statuses)
        assert all(status == 429 for status in statuses[limit:]), (name, statuses)


def test_the_address_limit_is_shared_by_both_doors(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    client = app.test_client()
    with app.app_context():
        statuses = [
            _attempt(client, door, f"u{n}@x.cn")
            for n, door in enumerate(["web", "api", "web", "api", "web", "api"])
        ]
    assert statuses[:4] == [200, 401, 200, 401]
    assert statuses[4:] == [429, 429]
