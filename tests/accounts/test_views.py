"""Sign-in, registration, profile and admin pages through the HTTP client."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, OrganisationFactory, UserFactory


def test_register_as_researcher_creates_org_and_signs_in(client):
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
            "region": "330300",
            "credit_code": "",
        },
    )
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "示范学院" in page and "li@example.cn" in page


def test_registration_errors_are_shown_on_the_form(client):
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
            "credit_code": "12345",
        },
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_login_and_logout(client):
    user = UserFactory()
    login(client, user)
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_wrong_password_shows_generic_message(client):
    user = UserFactory()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "ghost@example.cn", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong e-mail address or password" in wrong.get_data(
        as_text=True
    ) or "邮箱或密码错误" in wrong.get_data(as_text=True)
    body_wrong = wrong.get_data(as_text=True)
    body_unknown = unknown.get_data(as_text=True)
    assert body_wrong.count("invalid-feedback") == body_unknown.count("invalid-feedback")


def test_open_redirect_after_login_is_refused(client):
    user = UserFactory()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "//evil.example/steal"}
    )
    assert response.headers["Location"] == "/workspace"  # the own workspace, not evil.example


def test_session_cookie_copied_before_logout_is_refused_after(app):
    user = UserFactory()
    browser = app.test_client()
    login(browser, user)
    cookie = browser.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/account").status_code == 200
    browser.post("/logout")
    assert thief.get("/account").status_code == 302  # sent to the sign-in page


def test_password_change_signs_out_other_browsers(app):
    user = UserFactory()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    response = laptop.post(
        "/account/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": "brand-new-password",
            "pw-confirm": "brand-new-password",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302


def test_token_created_on_profile_page_works_and_can_be_revoked(app, client):
    user = UserFactory()
    login(client, user)
    page = client.post("/account/tokens", data={"token-name": "脚本"}).get_data(as_text=True)
    raw = page.split('data-testid="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).json["email"] == user.email
    from marketplace.accounts.models import ApiToken

    token_id = db.session.execute(sa.select(ApiToken.id)).scalar_one()
    client.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_verifies_organisation_and_activates_user(client):
    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False, name="待审核公司")
    pending = UserFactory(active=False, org=org)
    login(client, admin)
    assert "待审核公司" in client.get("/admin/organisations").get_data(as_text=True)
    client.post(f"/admin/organisations/{org.id}/verify", data={"verified": "1"})
    client.post(f"/admin/users/{pending.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).verified
    assert db.session.get(User, pending.id).active


def test_admin_creates_broker(client):
    admin = UserFactory(role="admin")
    login(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "broker@x.cn",
            "name": "陈",
            "password": "long-password-1",
            "role": "broker",
            "org_name": "技术转移中心",
            "org_kind": "agency",
            "region": "330300",
        },
    )
    assert response.status_code == 302
    broker = db.session.execute(sa.select(User).where(User.email == "broker@x.cn")).scalar_one()
    assert broker.role == "broker" and broker.org.kind == "agency"


def test_language_switch_and_default_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    # The zh_CN catalogue is really loaded (Babel spells the locale zh_Hans_CN).
    assert "科技大市场" in page and "登录" in page and "Technology Marketplace" not in page
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Technology Marketplace" in page and "登录" not in page


def test_error_pages_in_both_languages(client):
    assert client.get("/no-such-page").status_code == 404
    client.get("/lang/en")
    assert "does not exist" in client.get("/no-such-page").get_data(as_text=True)
