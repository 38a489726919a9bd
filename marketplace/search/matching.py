"""Demand ↔ achievement matching: ranked counterparts with a score in [0, 1] and reasons.

Computed ahead by the worker and stored as ListingMatch rows, which pages and the API read.
Ranking (``compute_matches``, the one function the worker and the quality benchmark call):

1. BM25 of the listing's whole text (title, keywords, summary/description) against every
   published listing of the other kind, as jieba words and as Chinese character bigrams
   (``match_corpus``); each put on a 0–1 scale by the score the text would give itself, and
   fused by a weighted sum.
2. The top ``candidates`` are re-ranked with soft boosts for the structured signals (same field,
   maturity, price within budget, shared transfer modes). Nothing is filtered out: a price above
   the budget is shown as a reason ("报价高于预算"), never hidden.

The values live in ``MatchParams`` (match_params.py); docs/performance.md has the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import drain
from marketplace.search.match_corpus import Corpus, ListingText, corpus_for
from marketplace.search.match_params import DEFAULT_PARAMS, MatchParams
from marketplace.search.models import ListingMatch, match_side
from marketplace.search.rematch import has_matches
from marketplace.text.keywords import extract_keywords
from marketplace.vocab import FIELDS, MODES, maturity_label

log = logging.getLogger(__name__)

# An achievement at TRL 6 (已有样品, a prototype in a relevant environment) or beyond.
MATURE = 6


@dataclass
class Match:
    listing_id: int
    score: float
    reasons: list[dict[str, Any]]


def display_score(score: float | None) -> int | None:
    """The one scale users see for a match score, on every page and in the API: 0–100."""
    return None if score is None else round(float(score) * 100)


def key_terms(listing: ListingText, limit: int) -> list[str]:
    """Whole words that characterise the listing (its keywords, then extracted ones)."""
    words: list[str] = []
    for word in [*listing.keywords, *extract_keywords(listing.title, listing.body, limit=limit)]:
        word = word.strip()
        if len(word) > 1 and word.lower() not in (w.lower() for w in words):
            words.append(word)
    return words[:limit]


def rank_text(query: ListingText, corpus: Corpus, params: MatchParams) -> np.ndarray:
    """Every corpus row's text relevance to ``query`` on a 0–1 scale (dead rows 0)."""
    # The query's title counts once: weighting it as in the documents ranked worse on dev.
    words, bigrams = query.streams(1)
    scores, ceiling = corpus.words.bm25(words, params.k1, params.b, params.sublinear_query_tf)
    relevance = scores / ceiling if ceiling > 0 else scores
    if params.bigram_weight:
        more, more_ceiling = corpus.bigrams.bm25(
            bigrams, params.k1, params.b, params.sublinear_query_tf
        )
        if more_ceiling > 0:
            relevance = (relevance + params.bigram_weight * more / more_ceiling) / (
                1 + params.bigram_weight
            )
    relevance[~corpus.live] = 0.0
    return np.clip(relevance, 0.0, 1.0)


def _signals(
    query: ListingText, kind: str, other: ListingText, shared: list[str]
) -> list[dict[str, Any]]:
    """The reasons of one pair; ``kind`` is the query listing's kind."""
    reasons: list[dict[str, Any]] = []
    if shared:
        reasons.append({"code": "shared_terms", "terms": shared[:6]})
    if query.field and other.field == query.field:
        reasons.append({"code": "same_field", "field": query.field})
    achievement, demand = (other, query) if kind == "demand" else (query, other)
    if achievement.maturity is not None and achievement.maturity >= MATURE:
        reasons.append({"code": "maturity", "level": int(achievement.maturity)})
    if achievement.price is not None and demand.budget_max is not None:
        if achievement.price <= demand.budget_max:
            reasons.append({"code": "price_within_budget"})
        else:
            reasons.append({"code": "price_above_budget"})
    modes = set(query.modes) & set(other.modes)
    if modes:
        reasons.append({"code": "modes", "modes": sorted(modes)})
    return reasons


def _boost(reasons: list[dict[str, Any]], params: MatchParams) -> float:
    boosts = {
        "same_field": params.field_boost,
        "maturity": params.maturity_boost,
        "price_within_budget": params.budget_boost,
        "modes": params.modes_boost,
    }
    return sum(boosts.get(reason["code"], 0.0) for reason in reasons)


def _shared_terms(terms: list[str], other: ListingText) -> list[str]:
    text = " ".join((other.title, " ".join(other.keywords), other.body)).lower()
    return [term for term in terms if term.lower() in text]


def compute_matches(
    listing: Listing | ListingText,
    params: MatchParams = DEFAULT_PARAMS,
    limit: int | None = None,
    kind: str | None = None,
) -> list[Match]:
    """Rank the published listings of the other kind for ``listing`` (best first)."""
    if isinstance(listing, Listing):
        kind = listing.kind
        query = ListingText.of(listing)
    else:
        query = listing
    if kind not in ("demand", "achievement"):
        raise ValueError(f"unknown listing kind {kind!r}")
    other_kind = "achievement" if kind == "demand" else "demand"
    with corpus_for(other_kind, params.title_weight) as corpus:
        return _rank(query, kind, corpus, params, limit)


def _rank(
    query: ListingText, kind: str, corpus: Corpus, params: MatchParams, limit: int | None
) -> list[Match]:
    """Text relevance for every row, then the structured boosts and reasons for the best."""
    if not len(corpus):
        return []  # nothing published on the other side yet
    relevance = rank_text(query, corpus, params)
    if query.listing_id in corpus.row_of:
        relevance[corpus.row_of[query.listing_id]] = 0.0
    relevance[relevance < params.min_relevance] = 0.0
    count = min(params.candidates, int(np.count_nonzero(relevance)))
    if count == 0:
        return []
    top = np.argpartition(-relevance, count - 1)[:count]
    terms = key_terms(query, params.reason_terms)
    matches = []
    for row in top:
        other = corpus.docs[int(row)]
        reasons = _signals(query, kind, other, _shared_terms(terms, other))
        # Divided by the largest possible boost: the score stays in [0, 1] and keeps the order.
        score = float(relevance[row]) * (1 + _boost(reasons, params)) / (1 + params.max_boost)
        matches.append(Match(other.listing_id, round(score, 4), reasons))
    # Ties (equal rounded scores) in listing id order, so that the stored order is the ranking.
    matches.sort(key=lambda m: (-m.score, m.listing_id))
    return matches[: limit or params.stored]


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
    if code == "price_above_budget":
        return _("Price above budget")
    if code == "modes":
        return _(
            "Compatible modes: %(modes)s",
            modes="、".join(MODES.label(m) for m in reason.get("modes", [])),
        )
    return str(code)


# -- stored matches -------------------------------------------------------------------------------


def _pair(listing: Listing, other_id: int) -> tuple[int, int]:
    return (listing.id, other_id) if listing.kind == "demand" else (other_id, listing.id)


# A listing submitted for review already gets its matches, for its owner, brokers and admins
# (SPEC §1 journey 2: the enterprise sees ranked achievements as soon as it posts a demand).
MATCHED_STATUSES = ("pending", "published")


def _naming(listing_id: int) -> Any:
    return sa.or_(ListingMatch.demand_id == listing_id, ListingMatch.achievement_id == listing_id)


def refresh_matches(listing_id: int) -> list[Match]:
    """Recompute one listing's stored matches (no commit: the caller owns the transaction).

    Ranking and storing only: deals.suggestions.refresh_matches also turns strong ones into
    suggestions."""
    return store_matches(listing_id, prepare_matches(listing_id))


def prepare_matches(listing_id: int) -> list[Match] | None:
    """The listing's matches, computed with reads only (the drain runs this outside its write
    transaction); None when the listing is neither pending nor published."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status not in MATCHED_STATUSES:
        return None
    # Nothing published on the other side yet gives no matches (the corpus is empty);
    # rematch_unmatched queues this listing again once counterparts are indexed.
    return compute_matches(listing)


def store_matches(listing_id: int, matches: list[Match] | None) -> list[Match]:
    """Make ``matches`` the listing's own ranked list (a short write, no commit); returns the
    matches stored.

    Pending (submitted) and published listings get matches among the published listings of the
    other kind. A published listing's refresh replaces its own list only: the other side's lists
    stay theirs. A listing that is neither (closed, rejected, gone) leaves every list, as it must
    appear in none; so does a pending one, which is in no one's candidates anyway.
    """
    listing = db.session.get(Listing, listing_id)
    # Checked again here: the listing may have been withdrawn while its matches were computed.
    if matches is None or listing is None or listing.status not in MATCHED_STATUSES:
        db.session.execute(sa.delete(ListingMatch).where(_naming(listing_id)))
        return []
    own_list = sa.and_(
        match_side(listing.kind).own_id == listing_id, ListingMatch.ranked_by == listing.kind
    )
    db.session.execute(
        sa.delete(ListingMatch).where(
            own_list if listing.status == "published" else _naming(listing_id)
        )
    )
    published = set(
        db.session.execute(
            sa.select(Listing.id).where(
                Listing.id.in_([m.listing_id for m in matches]), Listing.status == "published"
            )
        ).scalars()
    )
    matches = [m for m in matches if m.listing_id in published]
    for match in matches:
        demand_id, achievement_id = _pair(listing, match.listing_id)
        db.session.add(
            ListingMatch(
                demand_id=demand_id,
                achievement_id=achievement_id,
                ranked_by=listing.kind,
                score=match.score,
                reasons=match.reasons,
            )
        )
    db.session.flush()
    return matches


MATCHING_DRAIN_BUDGET = 60.0

# Called with the listing id and its stored matches, in the same write transaction.
OnStored = Callable[[int, list[Match]], None]


def drain_matching(on_stored: OnStored | None = None) -> int:
    """Drain the ``matching`` outbox topic: rank each named listing, store its matches, then
    hand them to ``on_stored`` (deals turns strong ones into suggestions; search does not know
    about deals)."""

    # Scoring (hundreds of ms) runs outside the write transaction; only storing holds it.
    def prepare(payload: dict[str, Any], _message_id: int) -> tuple[int, list[Match] | None] | None:
        listing_id = int(payload["listing_id"])
        if payload.get("unmatched") and has_matches(listing_id):
            return None  # queued for having none, and matched again meanwhile
        return listing_id, prepare_matches(listing_id)

    def store(prepared: tuple[int, list[Match] | None] | None, _message_id: int) -> None:
        if prepared is not None:
            stored = store_matches(*prepared)
            if on_stored is not None:
                on_stored(prepared[0], stored)

    # One drainer at a time, which yields after a minute: a bulk import's backlog keeps one
    # worker process busy, never all of them, so notifications, statistics and the periodic
    # jobs go on (the sweep dispatches the next drain within seconds).
    return drain("matching", store, prepare=prepare, budget=MATCHING_DRAIN_BUDGET, drainers=1)


def stored_matches(listing: Listing, limit: int = 20) -> list[tuple[Listing, ListingMatch]]:
    """The listing's own ranked list with the counterpart listings, best first (published
    only)."""
    side = match_side(listing.kind)
    rows = db.session.execute(
        sa.select(ListingMatch, Listing)
        .join(Listing, Listing.id == side.other_id)
        .where(
            side.own_id == listing.id,
            ListingMatch.ranked_by == listing.kind,
            Listing.status == "published",
        )
        .order_by(ListingMatch.score.desc(), ListingMatch.id)
        .limit(limit)
    ).all()
    return [(other, match) for match, other in rows]
