"""GET /search and GET /{demands,achievements}/<id>/matches."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import api_user, decimal_string, errors, output, timestamp
from marketplace.listings.serialise import PublicListingSchema
from marketplace.money import from_fen, money_str
from marketplace.search.matching import display_score
from marketplace.search.query import FILTERS, SEARCH_KINDS, SORTS, SearchRequest, search
from marketplace.search.services import listing_matches

blp = Blueprint("api_search", __name__, description="Search and matching")


class SearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=1000))
    kind = fields.String(load_default="achievement", validate=validate.OneOf(SEARCH_KINDS))
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


@output("price", "budget_min", "budget_max")
class HitOut(Schema):
    """A search hit; ``price`` for achievements, ``budget_min``/``budget_max`` for demands."""

    id = fields.Integer()
    kind = fields.String()
    title = fields.String(allow_none=True)
    title_html = fields.String()
    snippet = fields.String(metadata={"description": "Escaped text, <mark> around matches"})
    score = fields.Float()
    field = fields.String(allow_none=True)
    maturity = fields.Integer(allow_none=True)
    ip_type = fields.String(allow_none=True)
    modes = fields.List(fields.String())
    region = fields.String(allow_none=True)
    org_id = fields.Integer(allow_none=True)
    org_name = fields.String(allow_none=True)
    published_at = timestamp(allow_none=True)
    price = decimal_string(allow_none=True)
    budget_min = decimal_string(allow_none=True)
    budget_max = decimal_string(allow_none=True)


class FacetValueOut(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


@output()
class SearchOut(Schema):
    items = fields.List(fields.Nested(HitOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueOut)))
    suggestion = fields.String(allow_none=True)
    all_words_total = fields.Integer(allow_none=True)
    related_terms = fields.List(fields.String())
    related_fields = fields.List(fields.String())


@output("achievement", "demand")
class MatchOut(Schema):
    """A ranked listing of the other kind (``achievement`` for a demand's matches, ``demand``
    for an achievement's) with its 0–100 score and the reasons."""

    achievement = fields.Nested(PublicListingSchema)
    demand = fields.Nested(PublicListingSchema)
    score = fields.Integer(allow_none=True)
    reasons = fields.List(
        fields.Dict(), metadata={"description": 'Why it matched: {"code", …details}'}
    )


class MatchesOut(Schema):
    items = fields.List(fields.Nested(MatchOut), required=True)


def _hit_json(hit: Any) -> dict[str, Any]:
    s = hit.stored
    data = {
        "id": hit.id,
        "kind": hit.kind,
        "title": s.get("title"),
        "title_html": str(hit.title),
        "snippet": str(hit.snippet),
        "score": round(hit.score, 4),
        "field": None if s.get("field") == "unclassified" else s.get("field"),
        "maturity": s.get("maturity"),
        "ip_type": s.get("ip_type"),
        "modes": [m for m in (s.get("modes") or "").split(",") if m],
        "region": s.get("region") or None,
        "org_id": s.get("org_id"),
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
    return None if fen is None else money_str(from_fen(fen))


@blp.route("/search")
class SearchResource(MethodView):
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchOut)
    @errors(blp)
    def get(self, args: dict[str, Any]) -> Any:
        """Ranked published listings with highlighted ``snippet`` (HTML: escaped text, ``<mark>``
        around matches) and ``facets`` with counts."""
        filters = tuple((name, args[name].strip()) for name in FILTERS if args[name].strip())
        result = search(
            SearchRequest(
                q=args["q"],
                kind=args["kind"],
                filters=filters,
                sort=args["sort"],
                page=args["page"],
                per_page=args["per_page"],
            )
        )
        facets = {
            name: [{"value": value, "count": count} for value, count in counts]
            for name, counts in result.facets.items()
        }
        return {
            "items": [_hit_json(hit) for hit in result.hits],
            "total": result.total,
            "page": args["page"],
            "per_page": args["per_page"],
            "facets": facets,
            "suggestion": result.suggestion,
            "all_words_total": result.all_words_total,
            "related_terms": result.related_terms,
            "related_fields": result.related_fields,
        }


def _matches(kind: str, listing_id: int, limit: int) -> dict[str, Any]:
    other = "achievement" if kind == "demand" else "demand"
    rows = listing_matches(api_user(), kind, listing_id, limit=limit)
    return {
        "items": [
            {other: listing, "score": display_score(match.score), "reasons": match.reasons or []}
            for listing, match in rows
        ]
    }


@blp.route("/demands/<int:listing_id>/matches")
class DemandMatches(MethodView):
    @blp.arguments(MatchArgs, location="query")
    @blp.response(200, MatchesOut)
    @errors(blp, 403, 404)
    def get(self, args: dict[str, Any], listing_id: int) -> Any:
        """Ranked achievements for a demand (its organisation, brokers, admins)."""
        return _matches("demand", listing_id, args["limit"])


@blp.route("/achievements/<int:listing_id>/matches")
class AchievementMatches(MethodView):
    @blp.arguments(MatchArgs, location="query")
    @blp.response(200, MatchesOut)
    @errors(blp, 403, 404)
    def get(self, args: dict[str, Any], listing_id: int) -> Any:
        """Ranked demands for an achievement (its organisation, brokers, admins)."""
        return _matches("achievement", listing_id, args["limit"])
