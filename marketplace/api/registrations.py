"""Public check of a registration certificate: GET /api/v1/registrations/<登记号>?code=."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import errors
from marketplace.extensions import limiter
from marketplace.registry.verification import PublicCertificate, verify_certificate
from marketplace.serialise import date_field, timestamp_field

blp = Blueprint(
    "api_registrations", __name__, description="Public verification of registration certificates"
)


class CodeArgs(Schema):
    code = fields.String(load_default="", validate=validate.Length(max=40))


class CertificateOut(Schema):
    """Only the certificate's own public fields."""

    registration_no = fields.String(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True)
    signed_on = date_field(required=True)
    registered_at = timestamp_field(required=True)
    status = fields.String(required=True)


@blp.route("/registrations/<string:registration_no>")
class RegistrationResource(MethodView):
    decorators = [
        limiter.limit(
            lambda: current_app.config["VERIFY_LIMIT_PER_ADDRESS"],
            key_func=get_remote_address,
            scope="verify-certificate",
        )
    ]

    @blp.arguments(CodeArgs, location="query")
    @blp.response(200, CertificateOut)
    @errors(blp, 404, 429)
    def get(self, args: dict[str, Any], registration_no: str) -> PublicCertificate:
        """Anyone: is this certificate genuine and still valid? Only the certificate's own
        fields come back; an unknown number and a wrong code both give 404."""
        return verify_certificate(registration_no[:40], args["code"])
