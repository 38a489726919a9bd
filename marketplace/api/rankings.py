"""GET /rankings/brokers and /rankings/agencies (admin): the annual rankings with their weights."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import api_user, decimal_string, errors, output
from marketplace.money import money_str
from marketplace.rankings import services
from marketplace.rankings.queries import WEIGHTS, RankedEntry

blp = Blueprint("api_rankings", __name__, description="Broker and agency rankings (admin)")


class RankingArgs(Schema):
    # Validated by the service, so web and API give the same per-field messages.
    year = fields.String(metadata={"description": "Calendar year of signing; default this year"})
    limit = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        metadata={"description": "Top N only (e.g. 10); default all"},
    )


@output("broker_id", "org_id")
class RankedOut(Schema):
    """A ranked broker (``broker_id``) or agency (``org_id``) and its measures."""

    rank = fields.Integer()
    broker_id = fields.Integer()
    org_id = fields.Integer()
    name = fields.String()
    org = fields.String(allow_none=True)
    score = decimal_string(allow_none=True)
    contract_count = fields.Integer()
    contract_amount = decimal_string(allow_none=True)
    tech_amount = decimal_string(allow_none=True)
    enterprises_served = fields.Integer()
    deals_signed = fields.Integer()
    deals_failed = fields.Integer()
    success_rate = decimal_string(allow_none=True)
    median_days_claim_to_signature = decimal_string(allow_none=True)


class WeightOut(Schema):
    measure = fields.String(required=True)
    label = fields.String(required=True)
    weight = decimal_string(required=True, allow_none=True)


class RankingOut(Schema):
    year = fields.Integer(required=True)
    weights = fields.List(fields.Nested(WeightOut), required=True)
    items = fields.List(fields.Nested(RankedOut), required=True)


def _decimal(value: Any) -> str | None:
    return None if value is None else format(value, "f")


def entry_json(entry: RankedEntry, subject: str) -> dict[str, Any]:
    key = "broker_id" if subject == "brokers" else "org_id"
    measures = entry.measures
    return {
        "rank": entry.rank,
        key: entry.subject_id,
        "name": entry.name,
        "org": entry.org_name or None,
        "score": _decimal(entry.score),
        "contract_count": measures.contracts,
        "contract_amount": money_str(measures.contract_amount),
        "tech_amount": money_str(measures.tech_amount),
        "enterprises_served": measures.enterprises,
        "deals_signed": measures.deals_signed,
        "deals_failed": measures.deals_failed,
        "success_rate": _decimal(measures.success_rate),
        "median_days_claim_to_signature": _decimal(measures.median_days),
    }


def ranking_json(subject: str, args: dict[str, Any]) -> dict[str, Any]:
    limit = args.get("limit")
    if limit is not None and limit < 1:
        limit = None
    year, entries = services.ranking_for(
        api_user(), subject, args.get("year"), min(limit, 1000) if limit else None
    )
    return {
        "year": year,
        "weights": [
            {"measure": weight.code, "label": str(weight.label), "weight": _decimal(weight.weight)}
            for weight in WEIGHTS
        ],
        "items": [entry_json(entry, subject) for entry in entries],
    }


@blp.route("/rankings/brokers")
class BrokerRankingResource(MethodView):
    @blp.arguments(RankingArgs, location="query")
    @blp.response(200, RankingOut)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """Brokers ranked by the weighted score of their registered contracts in a year (admin).

        Only the broker named on a contract is credited for it.
        """
        return ranking_json("brokers", args)


@blp.route("/rankings/agencies")
class AgencyRankingResource(MethodView):
    @blp.arguments(RankingArgs, location="query")
    @blp.response(200, RankingOut)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """Transfer agencies ranked through their brokers' registered contracts (admin)."""
        return ranking_json("agencies", args)
