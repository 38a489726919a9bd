"""The matcher's tunable values, in one place.

Chosen on ``shared/data/matching/dev.jsonl`` by ``python -m benchmarks.matching_quality`` (which
also reports them 5-fold cross-validated); the docs (docs/performance.md, Matching) say how.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchParams:
    # BM25 over the whole text (title, keywords, summary/description) of both listings.
    k1: float = 2.5  # term-frequency saturation (BM25's usual 1.2–2.0 under-rewarded repetition)
    b: float = 1.0  # full length normalisation: long summaries otherwise win on sheer size
    title_weight: int = 2  # a title word counts as this many body words (fixed, not tuned)
    sublinear_query_tf: bool = True  # a query word repeated n times weighs 1 + ln n, not n
    # Weight of the Chinese character-bigram BM25 fused with the word BM25 (0 = words only).
    bigram_weight: float = 0.5
    # Soft boosts of the structured signals, applied to the top ``candidates`` by text only.
    # Multiplicative (score × (1 + boost)); none of them ever removes a candidate.
    field_boost: float = 0.10  # same technology field
    maturity_boost: float = 0.03  # the achievement is at least TRL 6 (sample or better)
    budget_boost: float = 0.05  # price within budget (or negotiable); above budget: reason only
    modes_boost: float = 0.03  # a transfer mode both sides accept
    # Below this text relevance (0–1) a listing is no match at all: sharing only a generic word
    # such as 技术 or 制备 is not a reason to show it (the small-index regression test).
    min_relevance: float = 0.05
    candidates: int = 100  # text hits re-ranked with the structured signals
    stored: int = 20  # rows kept per listing in listing_matches
    reason_terms: int = 12  # key terms of the listing looked for in each match (reasons)

    @property
    def max_boost(self) -> float:
        return self.field_boost + self.maturity_boost + self.budget_boost + self.modes_boost


DEFAULT_PARAMS = MatchParams()
