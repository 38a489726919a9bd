"""Innovation vouchers API: schemes, providers, the voucher life cycle and the statistics."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import (
    MoneyField,
    PageArgs,
    api_user,
    create_once,
    decimal_string,
    errors,
    output,
    page_of,
    paginate,
    require_api_user,
    timestamp,
)
from marketplace.errors import ValidationError
from marketplace.listings.attachments import Upload
from marketplace.money import money_str
from marketplace.serialise import date_field, timestamp_field
from marketplace.vouchers import queries, schemes, services
from marketplace.vouchers.models import Voucher, VoucherProvider, VoucherScheme
from marketplace.vouchers.stats import Line, Measures, VoucherStats, get_voucher_stats
from marketplace.vouchers.vocab import (
    DOCUMENT_KINDS,
    ORG_KIND_CODES,
    PAYEE_MODES,
    SERVICE_TYPES,
    VOUCHER_STATUSES,
)

blp = Blueprint("api_vouchers", __name__, description="Innovation vouchers (SPEC §6.2)")


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def voucher_json(voucher: Voucher) -> dict[str, Any]:
    return {
        "id": voucher.id,
        "scheme_id": voucher.scheme_id,
        "org_id": voucher.org_id,
        "applicant_id": voucher.applicant_id,
        "service_type": voucher.service_type,
        "purpose": voucher.purpose,
        "status": voucher.status,
        "requested_amount": money_str(voucher.requested_amount),
        "approved_amount": money_str(voucher.approved_amount),
        "refusal_code": voucher.refusal_code,
        "refusal_reason": voucher.refusal_reason,
        "provider_org_id": voucher.provider_org_id,
        "order_amount": money_str(voucher.order_amount),
        "contract_id": voucher.contract_id,
        "booking_id": voucher.booking_id,
        "actual_cost": money_str(voucher.actual_cost),
        "redeemed_amount": money_str(voucher.redeemed_amount),
        "payee_mode": voucher.payee_mode,
        "publication_ends_at": _day(voucher.publication_ends_at),
        "applied_at": _day(voucher.applied_at),
        "approved_at": _day(voucher.approved_at),
        "redeemed_at": _day(voucher.redeemed_at),
        "documents": [
            {"id": d.id, "kind": d.kind, "name": d.original_name} for d in voucher.documents
        ],
    }


class SchemeOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    name = fields.String()
    status = fields.String()
    budget = MoneyField(allow_none=True)
    committed = MoneyField(allow_none=True)
    redeemed = MoneyField(allow_none=True)
    available = MoneyField(allow_none=True)
    eligible_kinds = fields.List(fields.String())
    eligible_regions = fields.List(fields.String())
    excluded_org_ids = fields.List(fields.Integer())
    services = fields.List(fields.String())
    ratio_percent = fields.Integer()
    cap_per_application = MoneyField(allow_none=True)
    cap_per_enterprise_year = MoneyField(allow_none=True)
    full_offset_below = MoneyField(allow_none=True)
    payee_mode = fields.String()
    opens_on = date_field(allow_none=True)
    use_by = date_field(allow_none=True)
    redeem_by = date_field(allow_none=True)
    publication_days = fields.Integer()


class DocumentOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)


@output()
class VoucherEventOut(Schema):
    action = fields.String()
    from_ = fields.String(data_key="from", attribute="from_status", allow_none=True)
    to = fields.String(attribute="to_status", allow_none=True)
    reason_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    amount = MoneyField(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    at = timestamp_field(attribute="created_at")


@output("history")
class VoucherOut(Schema):
    """A voucher; ``history`` (its audit trail) on the single-voucher answer."""

    id = fields.Integer()
    scheme_id = fields.Integer()
    org_id = fields.Integer()
    applicant_id = fields.Integer(allow_none=True)
    service_type = fields.String()
    purpose = fields.String()
    status = fields.String()
    requested_amount = decimal_string(allow_none=True)
    approved_amount = decimal_string(allow_none=True)
    refusal_code = fields.String(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    provider_org_id = fields.Integer(allow_none=True)
    order_amount = decimal_string(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    booking_id = fields.Integer(allow_none=True)
    actual_cost = decimal_string(allow_none=True)
    redeemed_amount = decimal_string(allow_none=True)
    payee_mode = fields.String(allow_none=True)
    publication_ends_at = fields.String(allow_none=True, metadata={"format": "date"})
    applied_at = timestamp(allow_none=True)
    approved_at = timestamp(allow_none=True)
    redeemed_at = timestamp(allow_none=True)
    documents = fields.List(fields.Nested(DocumentOut))
    history = fields.List(fields.Nested(VoucherEventOut))


@output()
class ProviderOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    org_name = fields.Function(lambda provider: provider.org.name, metadata={"type": "string"})
    services = fields.List(fields.String())
    status = fields.String()


class VoucherMeasuresOut(Schema):
    issued = decimal_string(required=True, allow_none=True)
    issued_count = fields.Integer(required=True)
    used = decimal_string(required=True, allow_none=True)
    used_count = fields.Integer(required=True)
    redeemed = decimal_string(required=True, allow_none=True)
    redeemed_count = fields.Integer(required=True)


class VoucherLineOut(VoucherMeasuresOut):
    code = fields.String(required=True)
    label = fields.String(required=True)


@output()
class VoucherStatsOut(VoucherMeasuresOut):
    year = fields.Integer()
    usage_rate = decimal_string(allow_none=True)
    days_to_redemption = decimal_string(allow_none=True)
    leverage = decimal_string(allow_none=True)
    service_value = decimal_string(allow_none=True)
    budget = decimal_string(allow_none=True)
    committed = decimal_string(allow_none=True)
    by_month = fields.List(fields.Nested(VoucherLineOut))
    by_region = fields.List(fields.Nested(VoucherLineOut))
    by_service = fields.List(fields.Nested(VoucherLineOut))
    by_provider = fields.List(fields.Nested(VoucherLineOut))


SchemePage = page_of(SchemeOut, "VoucherSchemePage")
ProviderPage = page_of(ProviderOut, "VoucherProviderPage")
VoucherPage = page_of(VoucherOut, "VoucherPage")


class SchemeInput(Schema):
    name = fields.String(required=True, validate=validate.Length(max=200))
    year = fields.Integer(required=True, strict=True)
    budget = MoneyField(required=True)
    eligible_kinds = fields.List(
        fields.String(validate=validate.OneOf(ORG_KIND_CODES)), load_default=["enterprise"]
    )
    eligible_regions = fields.List(
        fields.String(validate=validate.Regexp(r"^\d{6}$")),
        load_default=list,
        validate=validate.Length(max=50),
    )
    excluded_org_ids = fields.List(
        fields.Integer(strict=True), load_default=list, validate=validate.Length(max=500)
    )
    services = fields.List(
        fields.String(validate=validate.OneOf(SERVICE_TYPES.codes)), required=True
    )
    ratio_percent = fields.Integer(required=True, strict=True)
    cap_per_application = MoneyField(required=True)
    cap_per_enterprise_year = MoneyField(required=True)
    full_offset_below = MoneyField(load_default=None, allow_none=True)
    payee_mode = fields.String(load_default="provider", validate=validate.OneOf(PAYEE_MODES.codes))
    opens_on = fields.Date(required=True)
    use_by = fields.Date(required=True)
    redeem_by = fields.Date(required=True)
    publication_days = fields.Integer(load_default=5, strict=True)
    open = fields.Boolean(load_default=False)


class VoucherListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(VOUCHER_STATUSES.codes))
    scheme_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


class ApplicationInput(Schema):
    scheme_id = fields.Integer(required=True, strict=True)
    service_type = fields.String(required=True)
    requested_amount = MoneyField(required=True)
    purpose = fields.String(required=True, validate=validate.Length(max=4000))


class VoucherApproveInput(Schema):
    amount = MoneyField(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class RefuseInput(Schema):
    reason_code = fields.String(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class UseInput(Schema):
    provider_org_id = fields.Integer(required=True, strict=True)
    amount = MoneyField(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class NoteInput(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class ReviewInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    reason_code = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class ProviderInput(Schema):
    org_id = fields.Integer(required=True, strict=True)
    services = fields.List(fields.String(), required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class StatsArgs(Schema):
    year = fields.String(load_default=None)


@blp.route("/voucher-schemes")
class SchemesResource(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, SchemePage)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open and closed schemes (anyone); admins also see drafts."""
        return paginate(queries.schemes_query(api_user()), args["page"], args["per_page"])

    @blp.arguments(SchemeInput)
    @blp.response(201, SchemeOut)
    @errors(blp, 403, 409)
    def post(self, args: dict[str, Any]) -> tuple[VoucherScheme, int]:
        """Configure a scheme (admin); ``open: true`` opens it at once."""
        values = dict(args)
        open_now = values.pop("open")
        for key in ("eligible_kinds", "eligible_regions", "excluded_org_ids", "services"):
            values[key] = tuple(values[key])
        user = require_api_user()
        scheme_id, _created = create_once(
            "voucher_scheme",
            lambda: schemes.create_scheme(user, schemes.SchemeData(**values), open_now=open_now),
        )
        return queries.get_scheme_for(user, scheme_id), 201


@blp.route("/voucher-schemes/<int:scheme_id>")
class SchemeResource(MethodView):
    @blp.response(200, SchemeOut)
    @errors(blp, 404)
    def get(self, scheme_id: int) -> VoucherScheme:
        """One scheme (drafts: admins only)."""
        return queries.get_scheme_for(api_user(), scheme_id)


@blp.route("/voucher-schemes/<int:scheme_id>/open")
class SchemeOpenResource(MethodView):
    @blp.response(200, SchemeOut)
    @errors(blp, 403, 404, 409)
    def post(self, scheme_id: int) -> VoucherScheme:
        """Open a draft scheme for applications (admin)."""
        return schemes.open_scheme(require_api_user(), scheme_id)


@blp.route("/voucher-schemes/<int:scheme_id>/close")
class SchemeCloseResource(MethodView):
    @blp.arguments(NoteInput)
    @blp.response(200, SchemeOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], scheme_id: int) -> VoucherScheme:
        """Stop applications (admin); vouchers already approved run their course."""
        return schemes.close_scheme(require_api_user(), scheme_id, args["note"])


@blp.route("/voucher-providers")
class ProvidersResource(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ProviderPage)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Approved providers (anyone)."""
        query = (
            sa.select(VoucherProvider)
            .where(VoucherProvider.status == "approved")
            .order_by(VoucherProvider.id)
        )
        return paginate(query, args["page"], args["per_page"])

    @blp.arguments(ProviderInput)
    @blp.response(201, ProviderOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[VoucherProvider, int]:
        """Approve an organisation as a provider of some services (admin)."""
        provider = schemes.approve_provider(
            require_api_user(), args["org_id"], tuple(args["services"]), args["note"]
        )
        return provider, 201


@blp.route("/vouchers")
class VouchersResource(MethodView):
    @blp.arguments(VoucherListArgs, location="query")
    @blp.response(200, VoucherPage)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Vouchers you may see: your organisation's, those naming it as provider; admins all."""
        query = queries.visible_vouchers(
            require_api_user(), status=args["status"], scheme_id=args["scheme_id"]
        )
        return paginate(query, args["page"], args["per_page"], voucher_json)

    @blp.arguments(ApplicationInput)
    @blp.response(201, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Apply for a voucher (申领; enterprise users)."""
        user = require_api_user()
        voucher_id, _created = create_once(
            "voucher", lambda: services.apply_for_voucher(user, services.Application(**args))
        )
        return voucher_json(services.get_voucher_for(user, voucher_id)), 201


@blp.route("/vouchers/<int:voucher_id>")
class VoucherResource(MethodView):
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404)
    def get(self, voucher_id: int) -> dict[str, Any]:
        """One voucher with its audit trail (enterprise, provider, admins)."""
        voucher = services.get_voucher_for(api_user(), voucher_id)
        body = voucher_json(voucher)
        body["history"] = queries.voucher_events(voucher.id)
        return body


@blp.route("/vouchers/<int:voucher_id>/approve")
class ApproveResource(MethodView):
    @blp.arguments(VoucherApproveInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """Approve an amount (admin); 409 ``budget_exhausted`` when the budget cannot take it."""
        return voucher_json(
            services.approve_voucher(require_api_user(), voucher_id, args["amount"], args["note"])
        )


@blp.route("/vouchers/<int:voucher_id>/refuse")
class RefuseResource(MethodView):
    @blp.arguments(RefuseInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """Refuse with a ``reason_code`` (admin)."""
        return voucher_json(
            services.refuse_voucher(
                require_api_user(), voucher_id, args["reason_code"], args["note"]
            )
        )


@blp.route("/vouchers/<int:voucher_id>/use")
class UseResource(MethodView):
    @blp.arguments(UseInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """Order with an approved provider for an amount (the enterprise)."""
        return voucher_json(
            services.use_voucher(
                require_api_user(),
                voucher_id,
                args["provider_org_id"],
                args["amount"],
                args["note"],
            )
        )


@blp.route("/vouchers/<int:voucher_id>/confirm")
class ConfirmResource(MethodView):
    @blp.arguments(NoteInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """The provider confirms the order."""
        return voucher_json(services.confirm_voucher(require_api_user(), voucher_id, args["note"]))


def _int_form(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 10:
        raise ValidationError(fields={name: _("Enter an id.")})
    return int(value)


@blp.route("/vouchers/<int:voucher_id>/redeem")
class RedeemResource(MethodView):
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409, 413, 422)
    def post(self, voucher_id: int) -> dict[str, Any]:
        """Request redemption (multipart form): ``contract_id`` or ``booking_id``, optional
        ``amount``, and the files ``contract`` (with a contract), ``invoice``, ``payment`` and
        ``result`` — PDFs or images, checked by content."""
        limit = int(request.max_content_length or 20 * 1024 * 1024)
        documents = {
            kind: Upload.read(request.files[kind].filename, request.files[kind].stream, limit)
            for kind in request.files
        }
        unknown = set(documents) - set(DOCUMENT_KINDS.codes)
        if unknown:
            raise ValidationError(fields={name: _("Unknown document kind.") for name in unknown})
        data = services.Redemption(
            contract_id=_int_form("contract_id"),
            booking_id=_int_form("booking_id"),
            amount=request.form.get("amount") or None,
            documents=documents,
        )
        return voucher_json(services.request_redemption(require_api_user(), voucher_id, data))


@blp.route("/vouchers/<int:voucher_id>/review")
class ReviewResource(MethodView):
    @blp.arguments(ReviewInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """Review a redemption (admin): approve starts the publication period, reject sends
        it back with a ``reason_code``."""
        return voucher_json(
            services.review_redemption(
                require_api_user(), voucher_id, args["decision"], args["reason_code"], args["note"]
            )
        )


@blp.route("/vouchers/<int:voucher_id>/revoke")
class RevokeResource(MethodView):
    @blp.arguments(NoteInput)
    @blp.response(200, VoucherOut)
    @errors(blp, 403, 404, 409)
    def post(self, args: dict[str, Any], voucher_id: int) -> dict[str, Any]:
        """Revoke a voucher with a reason in ``note`` (admin)."""
        return voucher_json(services.revoke_voucher(require_api_user(), voucher_id, args["note"]))


def _measures(measures: Measures) -> dict[str, Any]:
    return {
        "issued": money_str(measures.issued),
        "issued_count": measures.issued_count,
        "used": money_str(measures.used),
        "used_count": measures.used_count,
        "redeemed": money_str(measures.redeemed),
        "redeemed_count": measures.redeemed_count,
    }


def _line(line: Line) -> dict[str, Any]:
    return {"code": line.code, "label": line.label, **_measures(line.measures)}


def stats_json(stats: VoucherStats) -> dict[str, Any]:
    def rate(value: Any) -> str | None:
        return None if value is None else format(value, "f")

    return {
        "year": stats.year,
        **_measures(stats.totals),
        "usage_rate": rate(stats.usage_rate),
        "days_to_redemption": rate(stats.days_to_redemption),
        "leverage": rate(stats.leverage),
        "service_value": money_str(stats.service_value),
        "budget": money_str(stats.budget),
        "committed": money_str(stats.committed),
        "by_month": [_line(line) for line in stats.by_month],
        "by_region": [_line(line) for line in stats.by_region],
        "by_service": [_line(line) for line in stats.by_service],
        "by_provider": [_line(line) for line in stats.by_provider],
    }


@blp.route("/stats/vouchers")
class VoucherStatsResource(MethodView):
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, VoucherStatsOut)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Issued, used and redeemed (创新券使用额) amounts by month, region, service type and
        provider; usage rate (redeemed ÷ issued), mean days to redemption, leverage (cost of
        the services ÷ voucher amount redeemed). Admins only."""
        return stats_json(get_voucher_stats(api_user(), args["year"]))
