"""Tokens and identity through the JSON API."""

from marketplace.accounts import services
from tests.factories import PASSWORD, UserFactory


def test_token_for_valid_credentials(client):
    user = UserFactory(role="researcher")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["user"] == {"id": user.id, "role": "researcher", "org_id": user.org_id}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).json
    assert me["email"] == user.email and me["org"]["id"] == user.org_id


def test_wrong_password_is_401_with_json_error(client):
    user = UserFactory()
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "bad"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    assert response.json["error"]["message"]


def test_missing_fields_are_422_with_field_messages(client):
    response = client.post("/api/v1/auth/token", json={"email": "x@y.cn"})
    assert response.status_code == 422
    assert "password" in response.json["error"]["fields"]


def test_bogus_or_malformed_tokens_are_401(client):
    for header in ("Bearer bogus", "Basic abc", "Bearer "):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert "error" in response.json


def test_anonymous_me_is_401(client):
    assert client.get("/api/v1/me").status_code == 401


def test_revoking_the_current_token(client):
    user = UserFactory()
    raw = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).json[
        "token"
    ]
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_inactive_users_tokens_stop_working(client, app):
    user = UserFactory()
    _token, raw = services.issue_token(user)
    user.active = False
    from marketplace.extensions import db

    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_openapi_document_lists_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"] and "/api/v1/me" in spec["paths"]
