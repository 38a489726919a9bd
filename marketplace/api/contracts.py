"""Technology contracts API: record, edit, submit, register, reject, void and the audit history."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import MoneyField, PageArgs, api_user, paginate, require_api_user
from marketplace.contracts import queries, services
from marketplace.contracts.models import Contract, ContractHistory
from marketplace.errors import PermissionDenied
from marketplace.money import money_str
from marketplace.vocab import CONTRACT_STATUSES

blp = Blueprint("api_contracts", __name__, description="Technology contracts and registration")


def contract_json(contract: Contract) -> dict[str, Any]:
    """The SPEC §3 contract fields (amounts as decimal strings) and registration details."""
    return {
        "id": contract.id, "title": contract.title, "type": contract.type,
        "subtype": contract.subtype, "seller_org_id": contract.seller_org_id,
        "seller_org_name": contract.seller_org.name, "buyer_org_id": contract.buyer_org_id,
        "buyer_org_name": contract.buyer_org.name, "broker_id": contract.broker_id,
        "deal_id": contract.deal_id, "field": contract.field,
        "plan_category": contract.plan_category,
        "signed_on": contract.signed_on.isoformat(),
        "term_end": contract.term_end.isoformat() if contract.term_end else None,
        "contract_amount": money_str(contract.contract_amount),
        "tech_amount": money_str(contract.tech_amount),
        "line_items": [{"id": item.id, "description": item.description,
                        "amount": money_str(item.amount), "non_technical": item.non_technical}
                       for item in contract.line_items],
        "status": contract.status, "registration_no": contract.registration_no,
        "registered_at": contract.registered_at.isoformat() if contract.registered_at else None,
        "reject_reason": contract.reject_reason, "void_reason": contract.void_reason,
        "seller_region": contract.seller_region, "seller_kind": contract.seller_kind,
        "buyer_region": contract.buyer_region, "buyer_kind": contract.buyer_kind,
        "created_at": contract.created_at.isoformat(),
        "updated_at": contract.updated_at.isoformat(),
    }


def history_json(row: ContractHistory) -> dict[str, Any]:
    return {"id": row.id, "action": row.action, "field": row.field, "before": row.before,
            "after": row.after, "note": row.note, "actor_id": row.actor_id,
            "actor_name": row.actor.display_name if row.actor else None,
            "created_at": row.created_at.isoformat()}


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
    line_items = fields.List(fields.Nested(LineItemSchema),
                             validate=validate.Length(max=services.MAX_LINE_ITEMS))


class ContractListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(CONTRACT_STATUSES.codes))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1985, max=2200))
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class ReasonArgs(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


def _data(args: dict[str, Any], base: services.ContractData | None = None
          ) -> services.ContractData:
    values = dict(args)
    if "line_items" in values:
        values["line_items"] = tuple(
            services.LineItemData(item["description"], item["amount"], item["non_technical"])
            for item in values["line_items"])
    if base is None:
        return services.ContractData(**values)
    if base.line_items and "tech_amount" not in values and "line_items" not in values:
        values["tech_amount"] = None
    return dataclasses.replace(base, **values)


@blp.route("/contracts")
class ContractsResource(MethodView):
    @blp.arguments(ContractListArgs, location="query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Contracts you may see: brokers their own, parties theirs, admins all."""
        query = queries.visible_contracts(require_api_user(), status=args["status"],
                                          year=args["year"], q=args["q"])
        return paginate(query, args["page"], args["per_page"], contract_json)

    @blp.arguments(ContractInput)
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Record a draft contract (brokers in their own name, admins)."""
        contract = services.create_contract(require_api_user(), _data(args))
        return contract_json(contract), 201


@blp.route("/contracts/<int:contract_id>")
class ContractResource(MethodView):
    def get(self, contract_id: int) -> dict[str, Any]:
        """One contract (its broker, admins, and read-only its two parties)."""
        return contract_json(queries.get_contract_for(require_api_user(), contract_id))

    @blp.arguments(ContractInput)
    def patch(self, args: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Change a draft or rejected contract; a registered one is refused."""
        user = require_api_user()
        contract = queries.get_contract_for(user, contract_id)
        if not queries.can_change(user, contract):
            raise PermissionDenied()
        # Merge onto the current values; the service validates the whole and refuses frozen ones.
        data = _data(args, services.contract_data(contract))
        return contract_json(services.update_contract(user, contract_id, data))


@blp.route("/contracts/<int:contract_id>/submit")
class SubmitResource(MethodView):
    def post(self, contract_id: int) -> dict[str, Any]:
        """Submit for registration (the broker on it, or an admin)."""
        return contract_json(services.submit_contract(require_api_user(), contract_id))


@blp.route("/contracts/<int:contract_id>/register")
class RegisterResource(MethodView):
    def post(self, contract_id: int) -> dict[str, Any]:
        """Register (认定登记) a submitted contract and assign its 登记号 (admins)."""
        return contract_json(services.register_contract(require_api_user(), contract_id))


@blp.route("/contracts/<int:contract_id>/reject")
class RejectResource(MethodView):
    @blp.arguments(ReasonArgs)
    def post(self, args: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Send a submitted contract back with a ``reason`` (admins)."""
        return contract_json(services.reject_contract(require_api_user(), contract_id,
                                                      args["reason"]))


@blp.route("/contracts/<int:contract_id>/void")
class VoidResource(MethodView):
    @blp.arguments(ReasonArgs)
    def post(self, args: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Void a registered contract with a ``reason`` (admins)."""
        return contract_json(services.void_contract(require_api_user(), contract_id,
                                                    args["reason"]))


@blp.route("/contracts/<int:contract_id>/history")
class HistoryResource(MethodView):
    def get(self, contract_id: int) -> dict[str, Any]:
        """The audit trail: who changed which field when, before and after."""
        rows = queries.history_for(api_user(), contract_id)
        return {"items": [history_json(row) for row in rows], "total": len(rows)}
