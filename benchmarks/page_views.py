"""Listing detail page views: counted in Redis/in-process and folded, against the write per view
it replaced (an UPDATE of ``view_count`` and a commit), measured interleaved in the same run.

    python -m benchmarks.page_views --views 300                                   # SQLite
    VIEW_COUNTER_URL=redis://127.0.0.1:6379/9 python -m benchmarks.page_views \\
        --database-url postgresql://127.0.0.1:5432/pv_bench --views 300          # PostgreSQL

The database must be empty (it is migrated and seeded with 2,000 + 400 listings). Each round
views one published listing anonymously twice through the app: once as the site does now, once
followed by the old statement (``UPDATE listings SET view_count = view_count + 1`` + commit).
The baseline's page also counts its view in the counter, so the difference between the two is
exactly the write each view used to pay. Then one fold moves the counts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from typing import Any

from benchmarks.common import temp_app


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--views", type=int, default=300)
    args = parser.parse_args()
    app = temp_app(args.database_url)
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.listings import view_counts
    from marketplace.listings.models import Listing
    from marketplace.seed.synthetic_listings import generate_listings

    with app.app_context():
        generate_listings(2000, 400, seed=5)
        ids = list(
            db.session.execute(
                sa.select(Listing.id).where(
                    Listing.status == "published", Listing.kind == "achievement"
                )
            ).scalars()
        )
        counter = type(app.extensions["view_counter"]).__name__
        client = app.test_client()
        rng = random.Random(7)
        for listing_id in ids[:20]:  # warm up templates and caches
            client.get(f"/achievements/{listing_id}")
        view_counts.fold_views()
        before = db.session.execute(sa.select(sa.func.sum(Listing.view_count))).scalar_one()
        now: list[float] = []
        old: list[float] = []

        def old_view(listing_id: int) -> Any:
            response = client.get(f"/achievements/{listing_id}")
            db.session.execute(
                sa.update(Listing)
                .where(Listing.id == listing_id)
                .values(view_count=Listing.view_count + 1)
            )
            db.session.commit()
            return response

        for _ in range(args.views):
            listing_id = rng.choice(ids)
            for kind in rng.sample(["now", "old"], 2):
                started = time.perf_counter()
                if kind == "now":
                    response = client.get(f"/achievements/{listing_id}")
                else:
                    response = old_view(listing_id)
                (now if kind == "now" else old).append(time.perf_counter() - started)
                assert response.status_code == 200
        started = time.perf_counter()
        moved = view_counts.fold_views()
        fold_seconds = time.perf_counter() - started
        db.session.expire_all()
        after = db.session.execute(sa.select(sa.func.sum(Listing.view_count))).scalar_one()
        print(
            f"page views, {db.engine.dialect.name}, counter {counter}, {args.views} rounds, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  detail page now (counted, no database write): {_ms(now)}")
        print(f"  detail page + the old UPDATE and commit:       {_ms(old)}")
        print(
            f"  fold: {moved} views in {fold_seconds * 1000:.1f} ms; stored views grew by "
            f"{after - before} (= {2 * args.views} counted + {args.views} written the old way)"
        )
        assert moved == 2 * args.views and after - before == 3 * args.views


if __name__ == "__main__":
    main()
