"""GET /stats/summary (admin): the dashboard's figures as JSON; POST /stats/recompute."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import api_user, decimal_string, errors, output
from marketplace.money import money_str
from marketplace.stats import services
from marketplace.stats.queries import Row, Summary, Totals

blp = Blueprint("api_stats", __name__, description="Trading-volume statistics (admin)")


class SummaryArgs(Schema):
    # Validated by the service, so web and API give the same per-field messages.
    year = fields.String(metadata={"description": "Calendar year of signing; default this year"})
    region = fields.String(
        metadata={
            "description": "GB/T 2260 code; a province includes its cities. Empty = whole platform"
        }
    )


class MeasuresOut(Schema):
    contract_count = fields.Integer(required=True)
    contract_amount = decimal_string(required=True, allow_none=True)
    tech_amount = decimal_string(required=True, allow_none=True)


@output("within_province", "outside_province")
class BreakdownOut(MeasuresOut):
    """One line of a breakdown; for regions also the within/outside-province split."""

    code = fields.String()
    label = fields.String()
    within_province = fields.Nested(MeasuresOut)
    outside_province = fields.Nested(MeasuresOut)


class MonthOut(MeasuresOut):
    month = fields.Integer(required=True)


class TopBrokerOut(MeasuresOut):
    broker_id = fields.Integer(required=True)
    name = fields.String(required=True)
    org = fields.String(required=True, allow_none=True)


class TargetOut(Schema):
    contract_amount = decimal_string(required=True, allow_none=True)
    contract_count = fields.Integer(required=True, allow_none=True)


@output()
class CompletionOut(Schema):
    amount_rate = decimal_string(allow_none=True)
    count_rate = decimal_string(allow_none=True)
    gap = decimal_string(allow_none=True)
    count_gap = fields.Integer(allow_none=True)
    pace = decimal_string(allow_none=True)
    expected_amount = decimal_string(allow_none=True)
    on_track = fields.Boolean(allow_none=True)
    as_of = fields.String(metadata={"format": "date"})


@output()
class SummaryOut(MeasuresOut):
    """The SPEC summary object; money and rates as decimal strings."""

    year = fields.Integer()
    region = fields.String(allow_none=True)
    target = fields.Nested(TargetOut, allow_none=True)
    completion = fields.Nested(CompletionOut, allow_none=True)
    by_month = fields.List(fields.Nested(MonthOut))
    by_type = fields.List(fields.Nested(BreakdownOut))
    by_field = fields.List(fields.Nested(BreakdownOut))
    by_seller_region = fields.List(fields.Nested(BreakdownOut))
    by_buyer_region = fields.List(fields.Nested(BreakdownOut))
    by_seller_kind = fields.List(fields.Nested(BreakdownOut))
    top_brokers = fields.List(fields.Nested(TopBrokerOut))
    computed_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class RecomputeOut(Schema):
    job_id = fields.Integer(required=True)
    state = fields.String(required=True)
    url = fields.String(required=True)


def _rate(value: Any) -> str | None:
    return None if value is None else format(value, "f")


def _measures(totals: Totals) -> dict[str, Any]:
    return {
        "contract_count": totals.contracts,
        "contract_amount": money_str(totals.contract_amount),
        "tech_amount": money_str(totals.tech_amount),
    }


def _row(row: Row) -> dict[str, Any]:
    item = {"code": row.code, "label": row.label, **_measures(row.totals)}
    if row.within_province is not None and row.outside_province is not None:
        item["within_province"] = _measures(row.within_province)
        item["outside_province"] = _measures(row.outside_province)
    return item


def summary_json(summary: Summary) -> dict[str, Any]:
    """The SPEC summary object; money and rates as decimal strings."""
    target = summary.target
    return {
        "year": summary.year,
        "region": summary.region,
        **_measures(summary.output),
        "target": None
        if target is None
        else {
            "contract_amount": money_str(target.contract_amount),
            "contract_count": target.contract_count,
        },
        "completion": None
        if target is None
        else {
            "amount_rate": _rate(target.amount_rate),
            "count_rate": _rate(target.count_rate),
            "gap": money_str(target.gap),
            "count_gap": target.count_gap,
            "pace": _rate(target.pace_fraction),
            "expected_amount": money_str(target.expected_amount),
            "on_track": target.on_track,
            "as_of": target.as_of.isoformat(),
        },
        "by_month": [{"month": int(row.code), **_measures(row.totals)} for row in summary.by_month],
        "by_type": [_row(row) for row in summary.by_type],
        "by_field": [_row(row) for row in summary.by_field],
        "by_seller_region": [_row(row) for row in summary.by_seller_region],
        "by_buyer_region": [_row(row) for row in summary.by_buyer_region],
        "by_seller_kind": [_row(row) for row in summary.by_seller_kind],
        "top_brokers": [
            {"broker_id": int(row.code), "name": row.label, "org": row.org, **_measures(row.totals)}
            for row in summary.top_brokers
        ],
        "computed_at": summary.computed_at.isoformat() if summary.computed_at else None,
    }


@blp.route("/stats/summary")
class SummaryResource(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummaryOut)
    @errors(blp, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """Totals and breakdowns of registered contracts for a year and region (admin).

        Region figures are 输出 (seller in the region); ``by_buyer_region`` gives 吸纳.
        By signing date; void contracts are excluded.
        """
        summary = services.get_summary(api_user(), args.get("year"), args.get("region"))
        return summary_json(summary)


@blp.route("/stats/recompute")
class RecomputeResource(MethodView):
    @blp.response(202, RecomputeOut)
    @errors(blp, 403, 409)
    def post(self) -> Any:
        """Queue a full rebuild of the statistics; follow it at /api/v1/jobs/<job_id>."""
        job = services.request_recompute(api_user())
        return {"job_id": job.id, "state": job.state, "url": f"/api/v1/jobs/{job.id}"}
