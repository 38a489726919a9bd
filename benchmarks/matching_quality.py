"""Matching quality on the judged dev set: ours beside the reference BM25 baseline, one run.

    .venv/bin/python -m benchmarks.matching_quality [--judgements PATH] [--unjudged PATH]

Imports ../shared/data/listings/*.jsonl into a throwaway SQLite database (keywords extracted as
the importer does) and ranks the achievements for every judged demand with
``marketplace.search.matching.compute_matches`` — the function the worker calls. The baseline
is ../shared/tools/bm25_baseline.py itself (bm25s over jieba search-mode tokens of title +
summary / description), run in the same process on the same judged set.

Prints nDCG@10 (gain 2^rel − 1), recall@10 (relevant = rel ≥ 1) and MRR over the demands with a
relevant achievement: the all-in figure with ``DEFAULT_PARAMS``, and the 5-fold cross-validated
figure (parameters chosen by nDCG@10 on four folds from a small grid, scored on the fifth).
Counts our top-10 answers that nobody judged (they count as irrelevant) and writes them to
``--unjudged`` (JSON lines: demand_ref, achievement_ref, rank) so that they can be judged.
Exit status 0 when ours is ≥ 1.10× the baseline on all three all-in metrics.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import os
import random
import time
from collections import defaultdict
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, SHARED_DATA, read_jsonl, temp_app
from marketplace.search.match_params import DEFAULT_PARAMS, MatchParams

METRICS = ("nDCG@10", "recall@10", "MRR")
# The cross-validation grid: two values of each parameter that mattered on dev (the defaults
# and the textbook / plainer choice), 32 combinations; the folds choose among them.
GRID: dict[str, tuple[Any, ...]] = {
    "k1": (1.5, 2.5),
    "b": (0.75, 1.0),
    "bigram_weight": (0.0, 0.5),
    "sublinear_query_tf": (False, True),
    "title_weight": (1, 2),
}
FOLDS = 5


def import_shared_listings(data_dir: Path) -> None:
    """Load the reference listings as published, one organisation per side."""
    from marketplace.accounts.models import Organisation
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.listings.models import Achievement, Demand
    from marketplace.text.keywords import extract_keywords

    seller = Organisation(name="参考数据-成果方", kind="university", region="330100", verified=True)
    buyer = Organisation(name="参考数据-需求方", kind="enterprise", region="330300", verified=True)
    db.session.add_all([seller, buyer])
    db.session.flush()
    now = utcnow()

    def money(value: Any) -> Decimal | None:
        return Decimal(str(value)) if value not in (None, "") else None

    for kind, model, org, body_key in (
        ("achievements", Achievement, seller, "summary"),
        ("demands", Demand, buyer, "description"),
    ):
        for row in read_jsonl(data_dir / "listings" / f"{kind}.jsonl"):
            body = row.get(body_key) or ""
            listing = model(
                ref=row["ref"],
                org_id=org.id,
                title=row["title"][:200],
                body=body,
                keywords=row.get("keywords") or extract_keywords(row["title"], body),
                keywords_extracted=not row.get("keywords"),
                field=row.get("field"),
                maturity=row.get("maturity"),
                ip_type=row.get("ip_type"),
                modes=row.get("modes") or [],
                status="published",
                published_at=now,
                posted_on=date.fromisoformat(row["posted_on"]) if row.get("posted_on") else None,
            )
            if kind == "achievements":
                listing.price = money(row.get("price"))
            else:
                listing.budget_min = money(row.get("budget_min"))
                listing.budget_max = money(row.get("budget_max"))
            db.session.add(listing)
    db.session.commit()


# -- metrics ---------------------------------------------------------------------------------------


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(ref, 0) - 1) / math.log2(i + 2) for i, ref in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
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


def per_demand(ranked: list[str], rels: dict[str, int]) -> dict[str, float]:
    return {
        "nDCG@10": ndcg_at(ranked, rels),
        "recall@10": recall_at(ranked, rels),
        "MRR": reciprocal_rank(ranked[:10], rels),
    }


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS} if rows else {}


def reference_baseline(data: Path, judgements: Path) -> dict[str, float]:
    """Run ../shared/tools/bm25_baseline.py (the reference recipe) and return its figures."""
    path = data.parent / "tools" / "bm25_baseline.py"
    spec = importlib.util.spec_from_file_location("bm25_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"reference baseline not found: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(str(data), str(judgements))
    return {
        "nDCG@10": result["ndcg10"],
        "recall@10": result["recall10"],
        "MRR": result["mrr"],
        "demands": result["demands"],
    }


def grid() -> list[MatchParams]:
    keys = list(GRID)
    return [
        replace(DEFAULT_PARAMS, **dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(GRID[k] for k in keys))
    ]


def cross_validate(
    per_params: dict[MatchParams, dict[str, dict[str, float]]], demands: list[str]
) -> tuple[dict[str, float], list[MatchParams]]:
    """Tune on four folds (best mean nDCG@10), score the fifth; figures over all demands."""
    order = sorted(demands)
    random.Random(11).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    held_out: list[dict[str, float]] = []
    chosen: list[MatchParams] = []
    for i, test in enumerate(folds):
        train = [d for j, fold in enumerate(folds) if j != i for d in fold]
        best = max(
            per_params,
            key=lambda p: (mean([per_params[p][d] for d in train])["nDCG@10"], p == DEFAULT_PARAMS),
        )
        chosen.append(best)
        held_out.extend(per_params[best][d] for d in test)
    return mean(held_out), chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--judgements", type=Path, default=SHARED_DATA / "matching" / "dev.jsonl")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument(
        "--unjudged", type=Path, default=ROOT / "benchmarks" / "results" / "matching_unjudged.jsonl"
    )
    parser.add_argument("--reuse", type=Path, help="SQLite file of an earlier run (skips import)")
    args = parser.parse_args(argv)

    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for row in read_jsonl(args.judgements):
        judged[row["demand_ref"]][row["achievement_ref"]] = int(row["rel"])
    scored = sorted(d for d, rels in judged.items() if any(r >= 1 for r in rels.values()))

    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (2 shared cores)")
    t0 = time.perf_counter()
    baseline = reference_baseline(args.data, args.judgements)
    print(f"reference baseline ran in {time.perf_counter() - t0:.1f} s")

    app = temp_app(f"sqlite:///{args.reuse}" if args.reuse else None, migrate=not args.reuse)
    with app.app_context():
        import sqlalchemy as sa

        from marketplace.extensions import db
        from marketplace.listings.models import Achievement, Demand
        from marketplace.search.matching import compute_matches

        t0 = time.perf_counter()
        if not args.reuse:
            import_shared_listings(args.data)
            print(
                f"imported in {time.perf_counter() - t0:.1f} s "
                f"({app.config['SQLALCHEMY_DATABASE_URI']})"
            )
        ref_of: dict[int, str] = {
            i: ref or ""
            for i, ref in db.session.execute(sa.select(Achievement.id, Achievement.ref)).all()
        }
        demands = {
            d.ref: d
            for d in db.session.execute(
                sa.select(Demand).where(Demand.ref.in_(list(judged)))
            ).scalars()
        }
        t0 = time.perf_counter()
        compute_matches(demands[scored[0]])  # builds the achievements' corpus
        print(f"matching corpus built in {time.perf_counter() - t0:.1f} s")

        def ranking(ref: str, params: MatchParams) -> list[str]:
            return [
                ref_of[m.listing_id] for m in compute_matches(demands[ref], params=params, limit=10)
            ]

        timings: list[float] = []
        ours: dict[str, list[str]] = {}
        for ref in sorted(judged):
            started = time.perf_counter()
            ours[ref] = ranking(ref, DEFAULT_PARAMS)
            timings.append(time.perf_counter() - started)
        per_params = {DEFAULT_PARAMS: {d: per_demand(ours[d], judged[d]) for d in scored}}
        for params in grid():
            if params not in per_params:
                per_params[params] = {d: per_demand(ranking(d, params), judged[d]) for d in scored}

    all_in = mean(list(per_params[DEFAULT_PARAMS].values()))
    cv, chosen = cross_validate(per_params, scored)
    unjudged = [
        {"demand_ref": d, "achievement_ref": a, "rank": i + 1}
        for d in sorted(judged)
        for i, a in enumerate(ours[d])
        if a not in judged[d]
    ]
    args.unjudged.parent.mkdir(parents=True, exist_ok=True)
    with args.unjudged.open("w", encoding="utf-8") as handle:
        for row in unjudged:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    in_scored = sum(1 for row in unjudged if row["demand_ref"] in set(scored))

    print(
        f"demands judged: {len(judged)}, with a relevant achievement: {len(scored)} "
        f"(the reference counted {baseline['demands']})"
    )
    print(
        f"{'metric':<10} {'BM25 ref':>9} {'ours':>8} {'ratio':>7} {'ours 5-fold CV':>15} "
        f"{'ratio':>7}"
    )
    ok = True
    for metric in METRICS:
        b, o, c = baseline[metric], all_in[metric], cv[metric]
        ok = ok and o >= 1.10 * b
        print(f"{metric:<10} {b:>9.4f} {o:>8.4f} {o / b:>6.2f}x {c:>15.4f} {c / b:>6.2f}x")
    answers = sum(len(ours[d]) for d in scored)
    print(
        f"our top-10 answers not judged: {in_scored} of {answers} on the {len(scored)} "
        f"scored demands ({len(unjudged)} over all {len(judged)}), written to {args.unjudged}"
    )
    print(f"parameters (MatchParams): {json.dumps(asdict(DEFAULT_PARAMS))}")
    for i, params in enumerate(chosen):
        print(f"fold {i + 1} chose " + ", ".join(f"{k}={getattr(params, k)}" for k in GRID))
    timings.sort()
    print(
        f"matching one demand ({len(ref_of)} achievements): "
        f"p50 {timings[len(timings) // 2] * 1000:.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)] * 1000:.0f} ms"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
