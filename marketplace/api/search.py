"""GET /search and GET /{demands,achievements}/<id>/matches."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import api_user
from marketplace.listings.serialise import listing_json
from marketplace.search.query import FILTERS, SORTS, SearchRequest, search
from marketplace.search.schema import KINDS
from marketplace.search.services import listing_matches

blp = Blueprint("api_search", __name__, description="Search and matching")


class SearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=1000))
    kind = fields.String(load_default="achievement", validate=validate.OneOf(KINDS))
    field = fields.String(load_default="")
    maturity = fields.String(load_default="")
    ip_type = fields.String(load_default="")
    mode = fields.String(load_default="")
    price = fields.String(load_default="")
    region = fields.String(load_default="")
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MatchArgs(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


def _hit_json(hit: Any) -> dict[str, Any]:
    s = hit.stored
    data = {
        "id": hit.id, "kind": hit.kind, "title": s.get("title"),
        "title_html": str(hit.title), "snippet": str(hit.snippet), "score": round(hit.score, 4),
        "field": None if s.get("field") == "unclassified" else s.get("field"),
        "maturity": s.get("maturity"), "ip_type": s.get("ip_type"),
        "modes": [m for m in (s.get("modes") or "").split(",") if m],
        "region": s.get("region") or None, "org_id": s.get("org_id"),
        "org_name": s.get("org_name"),
        "published_at": s["published"].isoformat() if s.get("published") else None,
    }
    if hit.kind == "achievement":
        data["price"] = _fen_str(s.get("price"))
    else:
        data["budget_min"] = _fen_str(s.get("budget_min"))
        data["budget_max"] = _fen_str(s.get("budget_max"))
    return data


def _fen_str(fen: int | None) -> str | None:
    return None if fen is None else f"{int(fen) // 100}.{int(fen) % 100:02d}"


@blp.route("/search")
class SearchResource(MethodView):
    @blp.arguments(SearchArgs, location="query")
    def get(self, args: dict[str, Any]) -> Any:
        """Ranked published listings with highlighted ``snippet`` (HTML: escaped text, ``<mark>``
        around matches) and ``facets`` with counts."""
        filters = tuple((name, args[name].strip()) for name in FILTERS if args[name].strip())
        result = search(SearchRequest(q=args["q"], kind=args["kind"], filters=filters,
                                      sort=args["sort"], page=args["page"],
                                      per_page=args["per_page"]))
        facets = {name: [{"value": value, "count": count} for value, count in counts]
                  for name, counts in result.facets.items()}
        return {"items": [_hit_json(hit) for hit in result.hits], "total": result.total,
                "page": args["page"], "per_page": args["per_page"], "facets": facets,
                "suggestion": result.suggestion}


def _matches(kind: str, listing_id: int, limit: int) -> dict[str, Any]:
    other = "achievement" if kind == "demand" else "demand"
    rows = listing_matches(api_user(), kind, listing_id, limit=limit)
    return {"items": [{other: listing_json(listing), "score": match.score,
                       "reasons": match.reasons or []} for listing, match in rows]}


@blp.route("/demands/<int:listing_id>/matches")
class DemandMatches(MethodView):
    @blp.arguments(MatchArgs, location="query")
    def get(self, args: dict[str, Any], listing_id: int) -> Any:
        """Ranked achievements for a demand (its organisation, brokers, admins)."""
        return _matches("demand", listing_id, args["limit"])


@blp.route("/achievements/<int:listing_id>/matches")
class AchievementMatches(MethodView):
    @blp.arguments(MatchArgs, location="query")
    def get(self, args: dict[str, Any], listing_id: int) -> Any:
        """Ranked demands for an achievement (its organisation, brokers, admins)."""
        return _matches("achievement", listing_id, args["limit"])
