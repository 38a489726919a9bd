"""Technology contracts API: record, edit, submit, register, reject, void and the audit history."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest.fields import Upload as UploadField
from marshmallow import Schema, fields, validate

from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    create_once,
    errors,
    items_of,
    output,
    page_of,
    paginate,
    require_api_user,
)
from marketplace.contracts import queries, services
from marketplace.contracts.models import Contract, ContractSignedCopy
from marketplace.contracts.signed_copies import signed_copy_for, upload_signed_copy
from marketplace.contracts.vocab import REJECT_REASONS
from marketplace.downloads import PDF, file_response
from marketplace.errors import PermissionDenied, ValidationError
from marketplace.listings.attachments import Upload
from marketplace.serialise import date_field, timestamp_field
from marketplace.vocab import CONTRACT_STATUSES

blp = Blueprint("api_contracts", __name__, description="Technology contracts and registration")


class LineItemOut(Schema):
    id = fields.Integer(required=True)
    description = fields.String(required=True)
    amount = MoneyField(required=True)
    non_technical = fields.Boolean(required=True)


class SignedCopyOut(Schema):
    name = fields.String(required=True, attribute="original_name")
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = timestamp_field(required=True)
    url = fields.Function(
        lambda copy: f"/api/v1/contracts/{copy.contract_id}/signed-copy",
        required=True,
        metadata={"type": "string"},
    )


def _name(attribute: str) -> fields.Function:
    return fields.Function(
        lambda contract: getattr(contract, attribute).name, metadata={"type": "string"}
    )


@output()
class ContractOut(Schema):
    """The SPEC §3 contract fields (amounts as decimal strings) and registration details."""

    id = fields.Integer()
    title = fields.String()
    type = fields.String()
    subtype = fields.String(allow_none=True)
    seller_org_id = fields.Integer()
    seller_org_name = _name("seller_org")
    buyer_org_id = fields.Integer()
    buyer_org_name = _name("buyer_org")
    broker_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    field = fields.String(allow_none=True)
    plan_category = fields.String(allow_none=True)
    signed_on = date_field()
    term_end = date_field(allow_none=True)
    contract_amount = MoneyField(allow_none=True)
    tech_amount = MoneyField(allow_none=True)
    line_items = fields.List(fields.Nested(LineItemOut))
    status = fields.String()
    registration_no = fields.String(allow_none=True)
    registered_at = timestamp_field(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    reject_code = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)
    voided_at = timestamp_field(allow_none=True)
    verified_tech_amount = MoneyField(allow_none=True)
    verification_note = fields.String(allow_none=True)
    verification_code = fields.String(allow_none=True)
    tax_exempt = fields.Boolean(allow_none=True)
    submitted_at = timestamp_field(allow_none=True)
    signed_copy = fields.Nested(SignedCopyOut, allow_none=True)
    seller_region = fields.String(allow_none=True)
    seller_kind = fields.String(allow_none=True)
    buyer_region = fields.String(allow_none=True)
    buyer_kind = fields.String(allow_none=True)
    created_at = timestamp_field()
    updated_at = timestamp_field()


class HistoryOut(Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True)
    field = fields.String(required=True, allow_none=True)
    before = fields.String(required=True, allow_none=True)
    after = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    actor_id = fields.Integer(required=True, allow_none=True)
    actor_name = fields.Function(
        lambda row: row.actor.display_name if row.actor else None,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    created_at = timestamp_field(required=True)


ContractPage = page_of(ContractOut, "ContractPage")
ContractHistoryOut = items_of(HistoryOut, "ContractHistory", total=fields.Integer(required=True))


class LineItemSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(max=200))
    amount = MoneyField(required=True)
    non_technical = fields.Boolean(load_default=False)


class ContractInput(Schema):
    title = fields.String(validate=validate.Length(max=200))
    type = fields.String()
    subtype = fields.String(allow_none=True)
    seller_org_id = fields.Integer(allow_none=True, strict=True)
    buyer_org_id = fields.Integer(allow_none=True, strict=True)
    broker_id = fields.Integer(allow_none=True, strict=True)
    deal_id = fields.Integer(allow_none=True, strict=True)
    field = fields.String(allow_none=True)
    plan_category = fields.String(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    contract_amount = MoneyField(allow_none=True)
    tech_amount = MoneyField(allow_none=True)
    line_items = fields.List(
        fields.Nested(LineItemSchema), validate=validate.Length(max=services.MAX_LINE_ITEMS)
    )


class ContractListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(CONTRACT_STATUSES.codes))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1985, max=2200))
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class ReasonArgs(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RejectArgs(ReasonArgs):
    code = fields.String(load_default="other", validate=validate.OneOf(REJECT_REASONS.codes))


class SignedCopyInput(Schema):
    file = UploadField(load_default=None)


class RegisterArgs(Schema):
    verified_tech_amount = MoneyField(load_default=None, allow_none=True)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    tax_exempt = fields.Boolean(load_default=None, allow_none=True)


def _data(args: dict[str, Any], base: services.ContractData | None = None) -> services.ContractData:
    values = dict(args)
    if "line_items" in values:
        values["line_items"] = tuple(
            services.LineItemData(item["description"], item["amount"], item["non_technical"])
            for item in values["line_items"]
        )
    if base is None:
        return services.ContractData(**values)
    if base.line_items and "tech_amount" not in values and "line_items" not in values:
        values["tech_amount"] = None
    return dataclasses.replace(base, **values)


@blp.route("/contracts")
class ContractsResource(MethodView):
    @blp.arguments(ContractListArgs, location="query")
    @blp.response(200, ContractPage)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Contracts you may see: brokers their own, parties theirs, admins all."""
        query = queries.visible_contracts(
            require_api_user(), status=args["status"], year=args["year"], q=args["q"]
        )
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(ContractInput)
    @blp.response(201, ContractOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[Contract, int]:
        """Record a draft contract (brokers in their own name, admins)."""
        user = require_api_user()
        contract_id, _created = create_once(
            "contract", lambda: services.create_contract(user, _data(args))
        )
        return queries.get_contract_for(user, contract_id), 201


@blp.route("/contracts/<int:contract_id>")
class ContractResource(MethodView):
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404)
    def get(self, contract_id: int) -> Contract:
        """One contract (its broker, admins, and read-only its two parties)."""
        return queries.get_contract_for(require_api_user(), contract_id)

    @blp.arguments(ContractInput)
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404, 409)
    def patch(self, args: dict[str, Any], contract_id: int) -> Contract:
        """Change a draft or rejected contract; a registered one is refused."""
        user = require_api_user()
        contract = queries.get_contract_for(user, contract_id)
        if not queries.can_change(user, contract):
            raise PermissionDenied()
        # Merge onto the current values; the service validates the whole and refuses frozen ones.
        data = _data(args, services.contract_data(contract))
        return services.update_contract(user, contract_id, data)


@blp.route("/contracts/<int:contract_id>/submit")
class SubmitResource(MethodView):
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404, 409, 422)
    def post(self, contract_id: int) -> Contract:
        """Submit for registration (the broker on it, or an admin)."""
        return services.submit_contract(require_api_user(), contract_id)


@blp.route("/contracts/<int:contract_id>/register")
class RegisterResource(MethodView):
    @blp.arguments(RegisterArgs)
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], contract_id: int) -> Contract:
        """Register (认定登记) a submitted contract (admins): 核定 of the technology amount
        (``verified_tech_amount``, with a ``reason`` when it differs from the entered one), the
        VAT-exemption flag, the 登记号 and the certificate's ``verification_code``."""
        verification = services.Verification(
            args["verified_tech_amount"], args["reason"], args["tax_exempt"]
        )
        return services.register_contract(
            require_api_user(), contract_id, verification=verification
        )


@blp.route("/contracts/<int:contract_id>/reject")
class RejectResource(MethodView):
    @blp.arguments(RejectArgs)
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], contract_id: int) -> Contract:
        """Send a submitted contract back with a refusal ``code`` and a ``reason`` (admins)."""
        return services.reject_contract(
            require_api_user(), contract_id, args["reason"], args["code"]
        )


@blp.route("/contracts/<int:contract_id>/signed-copy")
class SignedCopyResource(MethodView):
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        description="The signed contract (PDF)",
        content_type="application/pdf",
    )
    @errors(blp, 403, 404)
    def get(self, contract_id: int) -> Response:
        """The signed contract PDF (the parties, the broker on it, admins)."""
        copy = signed_copy_for(require_api_user(), contract_id)
        return signed_copy_response(copy)

    @blp.arguments(SignedCopyInput, location="files")
    @blp.response(201, SignedCopyOut)
    @errors(blp, 403, 404, 409, 413)
    def post(self, args: dict[str, Any], contract_id: int) -> tuple[ContractSignedCopy, int]:
        """Upload the signed contract as multipart ``file`` (a PDF, checked by content);
        required before submission, replaceable until then."""
        user = require_api_user()
        stream = args.get("file")
        if stream is None:
            raise ValidationError(
                fields={
                    "file": _(
                        "Send the signed contract as a PDF in the multipart field \u201cfile\u201d."
                    )
                }
            )
        upload = Upload.read(
            stream.filename, stream.stream, current_app.config["ATTACHMENT_MAX_BYTES"]
        )
        copy = upload_signed_copy(user, contract_id, upload)
        return copy, 201


def signed_copy_response(copy: ContractSignedCopy) -> Response:
    """The stored PDF, shown inline by browsers."""
    return file_response(
        copy.data, PDF, copy.original_name, ascii_name=f"signed-{copy.contract_id}.pdf", inline=True
    )


@blp.route("/contracts/<int:contract_id>/void")
class VoidResource(MethodView):
    @blp.arguments(ReasonArgs)
    @blp.response(200, ContractOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], contract_id: int) -> Contract:
        """Void a registered contract with a ``reason`` (admins)."""
        return services.void_contract(require_api_user(), contract_id, args["reason"])


@blp.route("/contracts/<int:contract_id>/history")
class HistoryResource(MethodView):
    @blp.response(200, ContractHistoryOut)
    @errors(blp, 403, 404)
    def get(self, contract_id: int) -> dict[str, Any]:
        """The audit trail: who changed which field when, before and after."""
        rows = queries.history_for(api_user(), contract_id)
        return {"items": rows, "total": len(rows)}
