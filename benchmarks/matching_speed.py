"""Computing one listing's matches at scale: ``compute_matches`` over synthetic listings.

    .venv/bin/python -m benchmarks.matching_speed --achievements 100000 --demands 5000

Generates the listings with ``marketplace seed``'s synthetic generator into a throwaway SQLite
database, builds the worker's in-memory matching corpora (timed: a worker pays this once per
process), then times ``compute_matches`` — the function the worker calls — for sample demands
(against every achievement) and sample achievements (against every demand). Matches are served
to pages and the API from ``listing_matches``; this measures the worker's side only.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.common import temp_app


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=5_000)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    app = temp_app()
    with app.app_context():
        import sqlalchemy as sa

        from marketplace.extensions import db
        from marketplace.listings.models import Achievement, Demand
        from marketplace.search.match_corpus import corpus_for
        from marketplace.search.match_params import DEFAULT_PARAMS
        from marketplace.search.matching import compute_matches
        from marketplace.seed.synthetic_listings import generate_listings

        t0 = time.perf_counter()
        generate_listings(args.achievements, args.demands, seed=args.seed)
        print(
            f"generated {args.achievements} achievements + {args.demands} demands in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        for kind in ("achievement", "demand"):
            t0 = time.perf_counter()
            with corpus_for(kind, DEFAULT_PARAMS.title_weight) as corpus:
                size = len(corpus)
            print(
                f"{kind} corpus: {size} listings built in "
                f"{time.perf_counter() - t0:.1f} s (load average {os.getloadavg()[0]:.1f})"
            )
        for model, label in (
            (Demand, "one demand's matches"),
            (Achievement, "one achievement's matches"),
        ):
            sample = (
                db.session.execute(
                    sa.select(model)
                    .where(model.status == "published")
                    .order_by(model.id)
                    .limit(args.sample)
                )
                .scalars()
                .all()
            )
            compute_matches(sample[0])  # warm up (keyword extraction's part-of-speech tables)
            timings = []
            for listing in sample:
                started = time.perf_counter()
                compute_matches(listing)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"{label}: p50 {percentile(timings, 0.5):.0f} ms, "
                f"p95 {percentile(timings, 0.95):.0f} ms, max {max(timings):.0f} ms "
                f"({len(timings)} listings; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} shared cores)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
