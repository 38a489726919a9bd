"""The browse list page's cost: GET /achievements?page=N through the app, over synthetic listings.

    python -m benchmarks.list_page --achievements 20000 [--profile]

Seeds a throwaway SQLite database (``--database-url`` for another one: it must be empty and
migrated, or already seeded with ``--no-seed``), then times ten list pages spread over the list.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

from benchmarks.common import temp_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--achievements", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    app = temp_app(args.database_url, migrate=not args.no_seed)
    if not args.no_seed:
        with app.app_context():
            from marketplace.seed.synthetic_listings import generate_listings

            generate_listings(args.achievements, args.achievements // 5, seed=3)
    client = app.test_client()
    for page in (1, 2, 3):  # warm up
        client.get(f"/achievements?page={page}")
    pages = max(1, args.achievements // 20)
    profile = cProfile.Profile() if args.profile else None
    timings = []
    for i in range(10):
        started = time.perf_counter()
        if profile:
            profile.enable()
        response = client.get(f"/achievements?page={(i * 37) % pages + 1}")
        if profile:
            profile.disable()
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    print(
        f"browse list, {args.achievements} achievements: p50 "
        f"{statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over 10 "
        f"views; load average {os.getloadavg()[0]:.1f}"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
