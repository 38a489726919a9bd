"""CSRF, throttling, headers and cookies."""

import re

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.factories import PASSWORD, UserFactory


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/register", data={
        "role": "researcher", "name": "李明", "email": "li@example.cn",
        "password": "a-long-password", "confirm": "a-long-password", "org_mode": "new",
        "org_name": "示范学院", "org_kind": "university"})
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_form_post_with_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    user = UserFactory()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
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
    statuses = [client.post("/api/v1/auth/token",
                            json={"email": user.email, "password": "wrong"}).status_code
                for _ in range(6)]
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
        statuses = [client.post("/api/v1/auth/token", json={"email": f"u{i}@x.cn",
                                                            "password": "bad"}).status_code
                    for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_successful_logins_are_not_counted(client):
    user = UserFactory()
    for _ in range(7):
        response = client.post("/api/v1/auth/token",
                               json={"email": user.email, "password": PASSWORD})
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
