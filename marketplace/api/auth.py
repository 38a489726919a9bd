"""Tokens and the caller's identity: POST/DELETE /auth/token, GET /me."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.accounts import services
from marketplace.accounts.models import User
from marketplace.accounts.throttle import login_limits
from marketplace.api.common import errors, require_api_user
from marketplace.errors import Unauthorized

blp = Blueprint("api_auth", __name__, description="Tokens and the signed-in user")


def load_api_user() -> None:
    """Resolve the caller of an /api/ request before the view runs.

    A bearer token must be valid (a bogus one is a 401, never silently anonymous). Without one,
    a signed-in browser may read (GET) but not write, so cookies cannot be used for CSRF.
    """
    if not request.path.startswith("/api/"):
        return
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.", code="invalid_token")
        user = services.user_for_token(raw.strip())
        if user is None:
            raise Unauthorized("The token is invalid or has been revoked.", code="invalid_token")
        g.api_user = user
        g.api_token = raw.strip()
        return
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
    else:
        g.api_user = None


class Credentials(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)
    name = fields.String(load_default="api")


class OrgSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    region = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    verified = fields.Boolean()


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    org_id = fields.Integer()
    org = fields.Nested(OrgSchema)
    locale = fields.String(allow_none=True)


class TokenUser(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    org_id = fields.Integer(required=True)


class TokenResponse(Schema):
    token = fields.String(required=True)
    user = fields.Nested(TokenUser, required=True)


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "role": user.role, "org_id": user.org_id}


@blp.route("/auth/token")
class TokenResource(MethodView):
    decorators = [login_limits]

    @blp.arguments(Credentials)
    @blp.response(200, TokenResponse)
    @blp.doc(security=[])
    @errors(blp, 429)
    def post(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Exchange e-mail and password for a bearer token."""
        user = services.authenticate(credentials["email"], credentials["password"])
        _token, raw = services.issue_token(user, credentials.get("name") or "api")
        return {"token": raw, "user": user_json(user)}

    @blp.response(204)
    @errors(blp)
    def delete(self) -> None:
        """Revoke the token used for this request."""
        raw = g.get("api_token")
        if not raw:
            raise Unauthorized()
        services.revoke_token_by_value(g.api_user, raw)


@blp.route("/me")
class MeResource(MethodView):
    @blp.response(200, UserSchema)
    @errors(blp)
    def get(self) -> Any:
        """The signed-in user and their organisation."""
        return require_api_user()
