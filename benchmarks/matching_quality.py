"""Matching quality on the judged dev set: ours vs a plain BM25 baseline, in the same run.

    /work/venv/bin/python -m benchmarks.matching_quality [--judgements PATH]

Imports ../shared/data/listings/*.jsonl into a throwaway SQLite database (keywords extracted as
the importer does), reindexes, then ranks achievements for every judged demand. Prints nDCG@10,
recall@10 (relevant = rel ≥ 1) and MRR. Baseline: BM25F over jieba search-mode tokens of
title + text, default jieba dictionary, no stop words, no boosts, the demand's tokens as OR.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Token, Tokenizer

from benchmarks.common import SHARED_DATA, read_jsonl, temp_app


def import_shared_listings(data_dir: Path) -> None:
    """Load the reference listings as published, one organisation per side."""
    from marketplace.accounts.models import Organisation
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.listings.models import Achievement, Demand
    from marketplace.search.keywords import extract_keywords

    seller = Organisation(name="参考数据-成果方", kind="university", region="330100", verified=True)
    buyer = Organisation(name="参考数据-需求方", kind="enterprise", region="330300", verified=True)
    db.session.add_all([seller, buyer])
    db.session.flush()
    now = utcnow()

    def money(value: Any) -> Decimal | None:
        return Decimal(str(value)) if value not in (None, "") else None

    for kind, model, org, body_key in (("achievements", Achievement, seller, "summary"),
                                       ("demands", Demand, buyer, "description")):
        for row in read_jsonl(data_dir / "listings" / f"{kind}.jsonl"):
            body = row.get(body_key) or ""
            listing = model(
                ref=row["ref"], org_id=org.id, title=row["title"][:200], body=body,
                keywords=row.get("keywords") or extract_keywords(row["title"], body),
                keywords_extracted=not row.get("keywords"), field=row.get("field"),
                maturity=row.get("maturity"), ip_type=row.get("ip_type"),
                modes=row.get("modes") or [], status="published", published_at=now,
                posted_on=date.fromisoformat(row["posted_on"]) if row.get("posted_on") else None,
            )
            if kind == "achievements":
                listing.price = money(row.get("price"))
            else:
                listing.budget_min = money(row.get("budget_min"))
                listing.budget_max = money(row.get("budget_max"))
            db.session.add(listing)
    db.session.commit()


# -- the baseline ----------------------------------------------------------------------------------

class SearchModeTokenizer(Tokenizer):
    """jieba.cut_for_search with the default dictionary; nothing removed (module level so that
    Whoosh can pickle it into the schema)."""

    def __call__(self, value: str, **kwargs: Any) -> Any:
        token = Token(**{k: v for k, v in kwargs.items()
                         if k in ("positions", "chars", "removestops", "mode")})
        for pos, word in enumerate(_plain_jieba().cut_for_search(value)):
            word = word.strip()
            if word:
                token.pos = pos
                token.startchar = token.endchar = 0
                token.text = word
                token.boost = 1.0
                token.stopped = False
                yield token


@cache
def _plain_jieba() -> Any:
    import jieba

    return jieba.Tokenizer()


class Bm25Baseline:
    """Plain BM25 (Whoosh BM25F, one field) over jieba search-mode tokens."""

    def __init__(self, docs: list[tuple[str, str]]) -> None:
        from whoosh.fields import ID, TEXT, Schema

        self.analyzer = SearchModeTokenizer()
        # In RAM: the tokenizer is a local class, which an on-disk index could not pickle.
        from whoosh.filedb.filestore import RamStorage

        self.ix = RamStorage().create_index(Schema(ref=ID(stored=True),
                                                   content=TEXT(analyzer=self.analyzer)))
        writer = self.ix.writer()
        for ref, text in docs:
            writer.add_document(ref=ref, content=text)
        writer.commit()
        self.searcher = self.ix.searcher()

    def rank(self, text: str, limit: int = 100) -> list[str]:
        from whoosh.query import Or, Term

        terms = sorted({token.text for token in self.analyzer(text)})
        if not terms:
            return []
        results = self.searcher.search(Or([Term("content", t) for t in terms]), limit=limit)
        return [hit["ref"] for hit in results]


# -- metrics ---------------------------------------------------------------------------------------

def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(ref, 0) - 1) / math.log2(i + 2) for i, ref in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    relevant = {ref for ref, r in rels.items() if r >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], rels: dict[str, int]) -> float:
    for i, ref in enumerate(ranked):
        if rels.get(ref, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(rankings: dict[str, list[str]], judged: dict[str, dict[str, int]]) -> dict[str, float]:
    demands = [d for d in judged if any(r >= 1 for r in judged[d].values())]
    n = len(demands) or 1
    return {
        "nDCG@10": sum(ndcg_at(rankings.get(d, []), judged[d]) for d in demands) / n,
        "recall@10": sum(recall_at(rankings.get(d, []), judged[d]) for d in demands) / n,
        "MRR": sum(reciprocal_rank(rankings.get(d, []), judged[d]) for d in demands) / n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgements", type=Path,
                        default=SHARED_DATA / "matching" / "dev.jsonl")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--reuse", type=Path, help="SQLite file of an earlier run (skips import)")
    args = parser.parse_args(argv)

    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for row in read_jsonl(args.judgements):
        judged[row["demand_ref"]][row["achievement_ref"]] = int(row["rel"])

    app = temp_app(f"sqlite:///{args.reuse}" if args.reuse else None, migrate=not args.reuse)
    with app.app_context():
        import sqlalchemy as sa

        from marketplace.extensions import db
        from marketplace.listings.models import Achievement, Demand
        from marketplace.search.index import reindex
        from marketplace.search.matching import compute_matches

        t0 = time.perf_counter()
        if not args.reuse:
            import_shared_listings(args.data)
            print(f"imported in {time.perf_counter() - t0:.1f} s "
                  f"({app.config['SQLALCHEMY_DATABASE_URI']})")
        t0 = time.perf_counter()
        reindex(procs=1)
        print(f"indexed in {time.perf_counter() - t0:.1f} s")
        achievements = db.session.execute(sa.select(Achievement)).scalars().all()
        ref_of = {a.id: a.ref for a in achievements}
        baseline = Bm25Baseline([(a.ref, f"{a.title} {a.body}") for a in achievements])
        demands = {d.ref: d for d in db.session.execute(
            sa.select(Demand).where(Demand.ref.in_(list(judged)))).scalars()}

        ours: dict[str, list[str]] = {}
        base: dict[str, list[str]] = {}
        timings = []
        for ref, demand in demands.items():
            started = time.perf_counter()
            matches = compute_matches(demand, limit=50)
            timings.append(time.perf_counter() - started)
            ours[ref] = [ref_of[m.listing_id] for m in matches]
            base[ref] = baseline.rank(f"{demand.title} {demand.body}")

    ours_scores = evaluate(ours, judged)
    base_scores = evaluate(base, judged)
    print(f"demands judged: {len(judged)}, with a relevant achievement: "
          f"{sum(1 for d in judged.values() if any(r >= 1 for r in d.values()))}")
    print(f"{'metric':<10} {'BM25':>8} {'ours':>8} {'ratio':>7}")
    ok = True
    for metric in ("nDCG@10", "recall@10", "MRR"):
        b, o = base_scores[metric], ours_scores[metric]
        ratio = o / b if b else float("inf")
        ok = ok and ratio >= 1.10
        print(f"{metric:<10} {b:>8.4f} {o:>8.4f} {ratio:>6.2f}x")
    timings.sort()
    print(f"matching one demand: p50 {timings[len(timings) // 2] * 1000:.0f} ms, "
          f"max {timings[-1] * 1000:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
