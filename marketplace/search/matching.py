"""Demand ↔ achievement matching: ranked counterparts with a score in [0, 1] and reasons.

Computed ahead by the worker (one listing's matches take a few hundred ms on a large index) and
stored as ListingMatch rows, which pages and the API read. The query is the listing's 8–12 key
terms (its own keywords plus TF-IDF terms, expanded with a curated thesaurus) as alternatives over
title / keywords / text; the same field is a soft boost; budget ≥ price is the only hard filter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from whoosh.idsets import DocIdSet
from whoosh.query import Or, Query, Term
from whoosh.reading import TermNotFound

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.index import get_searcher
from marketplace.search.keywords import extract_keywords
from marketplace.search.models import ListingMatch
from marketplace.search.query import analyzer
from marketplace.vocab import FIELDS, MODES, maturity_label

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchParams:
    """Tuned on shared/data/matching/dev.jsonl only (see benchmarks/matching_quality.py)."""

    keywords: int = 12
    title_boost: float = 3.0
    keywords_boost: float = 2.0
    text_boost: float = 1.0
    synonym_weight: float = 0.5
    field_boost: float = 1.5
    candidates: int = 50
    stored: int = 20  # rows kept per listing
    max_terms: int = 0  # analysed terms searched (best first); 0 = all
    synonyms_in_text: bool = False  # search synonyms in the text too, not only title/keywords
    max_df: float = 0.05  # skip terms found in more than this share of the documents...
    min_terms: int = 6  # ...but keep at least this many (the rarest)


DEFAULT_PARAMS = MatchParams()


@dataclass
class Match:
    listing_id: int
    score: float
    reasons: list[dict[str, Any]]


@cache
def thesaurus() -> dict[str, tuple[str, ...]]:
    text = resources.files("marketplace.search.data").joinpath("synonyms.txt").read_text("utf-8")
    groups: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = tuple(line.split())
        for word in words:
            groups[word] = tuple(w for w in words if w != word)
    return groups


def _analysed(word: str) -> list[str]:
    return [token.text for token in analyzer()(word, mode="query")]


def key_terms(listing: Listing, params: MatchParams = DEFAULT_PARAMS) -> list[tuple[str, float]]:
    """Weighted index terms describing the listing: its keywords, then extracted ones, then
    synonyms at a lower weight."""
    return _key_terms(listing, params)[0]


def _key_terms(listing: Listing, params: MatchParams) -> tuple[list[tuple[str, float]], set[str]]:
    """``key_terms`` and the subset that are only synonyms."""
    words: list[str] = []
    for word in [*(listing.keywords or []),
                 *extract_keywords(listing.title, listing.body or "", limit=params.keywords)]:
        if word not in words:
            words.append(word)
    words = words[:params.keywords]
    weights: dict[str, float] = {}
    synonyms: set[str] = set()
    for rank, word in enumerate(words):
        weight = 1.0 / math.sqrt(1 + rank * 0.3)
        for term in _analysed(word):
            weights[term] = max(weights.get(term, 0.0), weight)
            synonyms.discard(term)
        for synonym in thesaurus().get(word, ()):
            for term in _analysed(synonym):
                if term not in weights:
                    weights[term] = weight * params.synonym_weight
                    synonyms.add(term)
    return sorted(weights.items(), key=lambda kv: -kv[1]), synonyms


TEXT_FIELDS = ("title", "keywords", "text")


def _match_query(terms: list[tuple[str, float]], params: MatchParams,
                 field: str | None, synonyms: AbstractSet[str] = frozenset()) -> Query:
    """The key terms as alternatives over title / keywords / text, plus the same field.

    The field is one more alternative rather than Whoosh's ``AndMaybe``: a document matching
    only the field scores that constant and is dropped afterwards (it shares no term), which
    ranks the rest exactly as ``AndMaybe`` would. The clauses' scores are summed into an array
    block by block (``ARRAY_MATCHER``) instead of walking Whoosh's binary tree of union
    matchers document by document: same scores, about ten times faster for 30-60 clauses.
    (``AndMaybe`` over that matcher returns wrong documents, and it cannot say which terms
    matched; ``_matched_terms`` does that for the top hits only.)
    """
    boosts = (("title", params.title_boost), ("keywords", params.keywords_boost),
              ("text", params.text_boost))
    clauses: list[Query] = [Term(name, term, boost=boost * weight)
                            for term, weight in terms for name, boost in boosts
                            if params.synonyms_in_text or name != "text" or term not in synonyms]
    if field and params.field_boost:
        clauses.append(Term("field", field, boost=params.field_boost))
    q = Or(clauses)
    q.matcher_type = Or.ARRAY_MATCHER
    return q


def _matched_terms(searcher: Any, docnums: list[int], terms: list[str]) -> dict[int, set[str]]:
    """Which of ``terms`` occur (in title, keywords or text) in each of these documents.

    Skips along each term's postings to the few candidate documents, instead of asking the
    search to track matched terms for every document it scores.
    """
    reader = searcher.reader()
    wanted = sorted(set(docnums))
    found: dict[int, set[str]] = {docnum: set() for docnum in wanted}
    for term in terms:
        for name in TEXT_FIELDS:
            try:
                postings = reader.postings(name, term)
            except TermNotFound:
                continue
            for docnum in wanted:
                if not postings.is_active():
                    break
                postings.skip_to(docnum)
                if postings.is_active() and postings.id() == docnum:
                    found[docnum].add(term)
    return found


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * 100)


# What an unsigned 64-bit sort column holds for a document without a value.
_NO_VALUE = 2**64 - 1


class _BudgetFilter(DocIdSet):  # type: ignore[misc]
    """The documents whose amount ``field`` lies in [low, high], or that are negotiable (面议).

    Decided per candidate document from the sort columns. (A ``NumericRange`` filter made
    Whoosh collect the set of every document in range first — most of the index, each time.)
    """

    def __init__(self, reader: Any, field: str, low: int, high: int | None) -> None:
        self._values = reader.column_reader(field)
        self._bands = reader.column_reader("price_band")
        self._low, self._high = low, high

    def __bool__(self) -> bool:
        return True

    def __contains__(self, docnum: object) -> bool:
        if self._bands[docnum] == "negotiable":
            return True
        value = self._values[docnum]
        return (value != _NO_VALUE and value >= self._low
                and (self._high is None or value <= self._high))


def _budget_filter(listing: Listing, reader: Any) -> _BudgetFilter | None:
    if listing.kind == "demand" and listing.budget_max is not None:
        # Achievements priced within the budget, or negotiable.
        return _BudgetFilter(reader, "price", 0, _fen(listing.budget_max))
    if listing.kind == "achievement" and listing.price is not None:
        return _BudgetFilter(reader, "budget_max", _fen(listing.price) or 0, None)
    return None


def _reasons(listing: Listing, stored: dict[str, Any], shared: list[str]) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    if shared:
        reasons.append({"code": "shared_terms", "terms": shared[:6]})
    if listing.field and stored.get("field") == listing.field:
        reasons.append({"code": "same_field", "field": listing.field})
    maturity = stored.get("maturity") if listing.kind == "demand" else listing.maturity
    if maturity is not None and int(maturity) >= 6:
        reasons.append({"code": "maturity", "level": int(maturity)})
    price = stored.get("price") if listing.kind == "demand" else _fen(listing.price)
    budget = _fen(listing.budget_max) if listing.kind == "demand" else stored.get("budget_max")
    if price is not None and budget is not None and price <= budget:
        reasons.append({"code": "price_within_budget"})
    modes = set(listing.modes or []) & set(filter(None, (stored.get("modes") or "").split(",")))
    if modes:
        reasons.append({"code": "modes", "modes": sorted(modes)})
    return reasons


def compute_matches(listing: Listing, params: MatchParams = DEFAULT_PARAMS,
                    limit: int | None = None) -> list[Match]:
    """Rank the published listings of the other kind for ``listing`` (best first)."""
    other = "achievement" if listing.kind == "demand" else "demand"
    terms, synonyms = _key_terms(listing, params)
    searcher = get_searcher(other)
    most = params.max_df * searcher.doc_count()
    # Words found everywhere (技术, 系统) add little to the ranking but cost the most time. On
    # a small index (under min_terms / max_df documents) a share of the documents means
    # nothing: every real term looked "frequent" and only words no listing has were kept, so a
    # new or regional site found no matches at all. There every term is searched.
    if params.max_df < 1.0 and terms and most >= params.min_terms:
        df = {t: searcher.doc_frequency("text", t) for t, _ in terms}
        keep = {t for t, _ in terms if df[t] <= most}
        if len(keep) < params.min_terms:
            keep = set(sorted(df, key=lambda t: df[t])[:params.min_terms])
        terms = [(t, w) for t, w in terms if t in keep]
    if params.max_terms:
        terms = terms[:params.max_terms]
    if not terms:
        return []
    q = _match_query(terms, params, listing.field, synonyms)
    # Twice the candidates: some top hits may share only the field, and are dropped below.
    # (optimize=False: block-quality skipping is of no use with the array matcher.)
    results = searcher.search(q, limit=2 * params.candidates, optimize=False,
                              filter=_budget_filter(listing, searcher.reader()))
    weights = dict(terms)
    matched_in = _matched_terms(searcher, [hit.docnum for hit in results], list(weights))
    hits = [hit for hit in results if matched_in[hit.docnum]][:params.candidates]
    if not hits:
        return []
    top = hits[0].score or 1.0
    total_weight = sum(weight for _, weight in terms)
    matches = []
    for hit in hits:
        listing_id = int(hit["id"])
        if listing_id == listing.id:
            continue
        matched = matched_in[hit.docnum]
        coverage = sum(weights.get(term, 0.0) for term in matched) / total_weight
        stored = hit.fields()
        shared = [term for term, _ in terms if term in matched and len(term) > 1]
        reasons = _reasons(listing, stored, shared)
        relevance = 0.5 * (hit.score / top) + 0.5 * min(1.0, coverage * 2)
        bonus = sum({"same_field": 0.1, "price_within_budget": 0.1, "modes": 0.05,
                     "maturity": 0.05}.get(r["code"], 0.0) for r in reasons)
        matches.append(Match(listing_id, round(min(1.0, 0.7 * relevance + bonus), 4), reasons))
    matches.sort(key=lambda m: -m.score)
    return matches[:limit or params.stored]


def reason_text(reason: dict[str, Any]) -> str:
    """A reason as a sentence in the reader's language."""
    code = reason.get("code")
    if code == "shared_terms":
        return _("Shared key terms: %(terms)s", terms="、".join(reason.get("terms", [])))
    if code == "same_field":
        return _("Same field: %(field)s", field=FIELDS.label(reason.get("field")))
    if code == "maturity":
        return _("Mature technology: %(level)s", level=maturity_label(reason.get("level")))
    if code == "price_within_budget":
        return _("Price within budget")
    if code == "modes":
        return _("Compatible modes: %(modes)s",
                 modes="、".join(MODES.label(m) for m in reason.get("modes", [])))
    return str(code)


# -- stored matches -------------------------------------------------------------------------------

def _pair(listing: Listing, other_id: int) -> tuple[int, int]:
    return (listing.id, other_id) if listing.kind == "demand" else (other_id, listing.id)


def refresh_matches(listing_id: int) -> list[Match]:
    """Recompute one listing's stored matches (no commit: the drain's batch owns the transaction).

    Unpublished listings lose theirs. Strong new matches become deal suggestions and notify both
    owners through the notification outbox.
    """
    from marketplace.deals.suggestions import record_suggestion

    listing = db.session.get(Listing, listing_id)
    db.session.execute(sa.delete(ListingMatch).where(
        sa.or_(ListingMatch.demand_id == listing_id, ListingMatch.achievement_id == listing_id)))
    if listing is None or listing.status != "published":
        return []
    matches = compute_matches(listing)
    published = set(db.session.execute(
        sa.select(Listing.id).where(Listing.id.in_([m.listing_id for m in matches]),
                                    Listing.status == "published")).scalars())
    matches = [m for m in matches if m.listing_id in published]
    threshold = current_app.config["MATCH_SUGGESTION_MIN_SCORE"]
    for match in matches:
        demand_id, achievement_id = _pair(listing, match.listing_id)
        db.session.add(ListingMatch(demand_id=demand_id, achievement_id=achievement_id,
                                    score=match.score, reasons=match.reasons))
        if match.score >= threshold:
            deal = record_suggestion(demand_id, achievement_id, match.score, match.reasons)
            if deal is not None:
                _notify_suggestion(demand_id, achievement_id, deal.id)
    db.session.flush()
    return matches


def _notify_suggestion(demand_id: int, achievement_id: int, deal_id: int) -> None:
    from marketplace.notifications.services import notify

    for listing_id in (demand_id, achievement_id):
        side = db.session.get(Listing, listing_id)
        if side is not None:
            notify(kind="match_suggested", params={"title": side.title}, org_ids=[side.org_id],
                   link=f"/{side.kind}s/{side.id}")
    demand = db.session.get(Listing, demand_id)
    notify(kind="match_suggested", params={"title": demand.title if demand else ""},
           roles=["broker"], link=f"/deals/{deal_id}")


def drain_matching_outbox() -> int:
    from marketplace.outbox import drain

    return drain("matching", lambda payload, _id: refresh_matches(int(payload["listing_id"])))


def stored_matches(listing: Listing, limit: int = 20) -> list[tuple[Listing, ListingMatch]]:
    """The listing's stored matches with the counterpart listings, best first (published only)."""
    if listing.kind == "demand":
        mine, theirs = ListingMatch.demand_id, ListingMatch.achievement_id
    else:
        mine, theirs = ListingMatch.achievement_id, ListingMatch.demand_id
    rows = db.session.execute(
        sa.select(ListingMatch, Listing).join(Listing, Listing.id == theirs)
        .where(mine == listing.id, Listing.status == "published")
        .order_by(ListingMatch.score.desc(), ListingMatch.id).limit(limit)
    ).all()
    return [(other, match) for match, other in rows]
