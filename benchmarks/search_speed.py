"""Search speed at SPEC §5 sizes: Whoosh, PostgreSQL, SQLite FTS5 and SQL LIKE, same run.

    python -m benchmarks.search_speed [--achievements 100000 --demands 20000]
        [--postgres-url postgresql://127.0.0.1:5432/bench_search | --no-postgres]

Generates synthetic listings (marketplace.seed.synthetic_listings) into SQLite and, with the same
seed, into the PostgreSQL database given (its schema is dropped and rebuilt!); reindexes Whoosh
(docs/s) and recomputes the PostgreSQL search columns (rows/s); then prints p50/p95 of plain
search and filtered search with facets (both with the highlighted top 10) for each engine side by
side over the same queries, computing one demand's matches, and the delay from publishing a
listing to finding it (Whoosh: outbox drained in-process; PostgreSQL: the commit itself).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import ensure_database, temp_app


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def timed(fn: Callable[[Any], Any], args: list[Any]) -> list[float]:
    out = []
    for arg in args:
        started = time.perf_counter()
        fn(arg)
        out.append(time.perf_counter() - started)
    return out


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the index workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def build_fts(rows: list[tuple[int, str, str, str]], path: Path) -> sqlite3.Connection:
    from marketplace.text.textproc import tokenizer

    tok = tokenizer()
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, field UNINDEXED, tokenize='unicode61')"
    )
    conn.executemany(
        "INSERT INTO docs(rowid, title, body, field) VALUES (?, ?, ?, ?)",
        (
            (i, " ".join(tok.cut(t, HMM=False)), " ".join(tok.cut(b, HMM=False)), f)
            for i, t, b, f in rows
        ),
    )
    conn.commit()
    return conn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/bench_search"),
        help="a PostgreSQL database this benchmark may wipe",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores (a shared machine: other jobs run beside this one)"
    )
    rng = random.Random(args.seed)

    app = temp_app()
    with app.app_context():
        import sqlalchemy as sa

        from marketplace.extensions import db
        from marketplace.listings.models import Achievement, Demand, Listing
        from marketplace.outbox import enqueue
        from marketplace.search.index import drain_search_outbox, reindex
        from marketplace.search.matching import compute_matches
        from marketplace.search.query import SearchRequest, query_terms, search
        from marketplace.seed.synthetic_listings import TERMS, generate_listings

        t0 = time.perf_counter()
        generate_listings(args.achievements, args.demands, seed=args.seed)
        print(
            f"generated {args.achievements} achievements + {args.demands} demands in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        print(f"load average before reindex: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        cpu0 = _cpu_seconds()
        report = reindex(procs=args.procs)
        cpu = _cpu_seconds() - cpu0
        print(
            f"reindex (procs={args.procs}): {report['documents']} docs in "
            f"{report['seconds']:.1f} s = {report['docs_per_second']:.0f} docs/s; "
            f"{cpu:.1f} CPU-s in all processes = {report['documents'] / cpu:.0f} docs per "
            f"CPU-second; load average after: {os.getloadavg()[0]:.1f}"
        )

        words = [w for objs, techs, uses in TERMS.values() for w in objs + techs + uses]
        queries = [
            rng.choice(words)
            if rng.random() < 0.6
            else f"{rng.choice(words)} {rng.choice(words)[:2]}"
            for _ in range(args.queries)
        ]
        fields = list(TERMS)

        # Warm up (jieba dictionary, searcher, OS cache).
        search(SearchRequest(q="石墨烯"))

        plain = timed(lambda q: search(SearchRequest(q=q)), queries)
        filtered = timed(
            lambda q: search(
                SearchRequest(q=q, filters=(("field", rng.choice(fields)), ("maturity", "pilot")))
            ),
            queries,
        )

        engine = db.engine

        def like(q: str, field: str | None = None) -> Any:
            clauses = " AND ".join(
                f"(title LIKE :w{i} OR body LIKE :w{i})" for i in range(len(q.split()))
            )
            params = {f"w{i}": f"%{w}%" for i, w in enumerate(q.split())}
            extra = ""
            if field:
                extra, params["field"] = " AND field = :field", field
            sql = (
                f"SELECT id, title, field FROM listings WHERE kind='achievement' AND "
                f"status='published' AND {clauses}{extra}"
            )
            with engine.connect() as conn:
                top = sa.text(sql + " ORDER BY published_at DESC LIMIT 10")
                conn.execute(top, params).fetchall()
                conn.execute(
                    sa.text(f"SELECT field, count(*) FROM ({sql}) GROUP BY field"), params
                ).fetchall()

        like_plain = timed(like, queries)
        like_filtered = timed(lambda q: like(q, rng.choice(fields)), queries)

        rows = db.session.execute(
            sa.select(Achievement.id, Achievement.title, Achievement.body, Achievement.field)
        ).all()
        t0 = time.perf_counter()
        fts = build_fts(
            [(r[0], r[1], r[2], r[3] or "") for r in rows], Path(tempfile.mkdtemp()) / "fts.db"
        )
        fts_build = time.perf_counter() - t0

        def fts_search(q: str, field: str | None = None) -> Any:
            terms = query_terms(q)
            if not terms:
                return
            match = " AND ".join('"' + t.replace('"', "") + '"' for t in terms)
            extra = " AND field = ?" if field else ""
            params: list[Any] = [match] + ([field] if field else [])
            fts.execute(
                "SELECT rowid, highlight(docs, 0, '<mark>', '</mark>') FROM docs "
                f"WHERE docs MATCH ?{extra} ORDER BY bm25(docs) LIMIT 10",
                params,
            ).fetchall()
            fts.execute(
                f"SELECT field, count(*) FROM docs WHERE docs MATCH ?{extra} GROUP BY field", params
            ).fetchall()

        fts_plain = timed(fts_search, queries)
        fts_filtered = timed(lambda q: fts_search(q, rng.choice(fields)), queries)

        demand_ids = db.session.execute(sa.select(Demand.id)).scalars().all()
        sample = [
            db.session.get(Demand, i) for i in rng.sample(demand_ids, min(30, len(demand_ids)))
        ]
        # Warm up: keyword extraction's tables and the worker's corpus of achievements.
        compute_matches(sample[0])
        matching = timed(lambda d: compute_matches(d), sample)
        achievement_ids = db.session.execute(sa.select(Achievement.id)).scalars().all()
        sample_a = [
            db.session.get(Achievement, i)
            for i in rng.sample(achievement_ids, min(30, len(achievement_ids)))
        ]
        compute_matches(sample_a[0])  # warm up: builds the worker's corpus of demands
        matching_a = timed(lambda a: compute_matches(a), sample_a)

        def like_match(d: Any) -> Any:
            like(" ".join((d.keywords or [d.title])[:1]))

        like_matching = timed(like_match, sample)
        fts_matching = timed(
            lambda d: fts.execute(
                "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 20",
                [
                    " OR ".join('"' + t + '"' for t in query_terms(" ".join(d.keywords or [])))
                    or '"x"'
                ],
            ).fetchall(),
            sample,
        )

        # Served matches: a ListingMatch read (what pages and the API do).
        from marketplace.deals.suggestions import refresh_matches
        from marketplace.search.matching import stored_matches

        for d in sample[:10]:
            refresh_matches(d.id)
        db.session.commit()
        served = timed(lambda d: stored_matches(d, limit=10), sample[:10] * 3)

        # Publish -> searchable, drained in-process (the worker adds its queue latency).
        delays = []
        org_id = db.session.execute(sa.select(Listing.org_id).limit(1)).scalar()
        for i in range(5):
            listing = Achievement(
                org_id=org_id,
                title=f"量子点发光材料新工艺{i}",
                body="量子点发光二极管",
                status="published",
                keywords=[],
                modes=[],
                patent_numbers=[],
                extra={},
            )
            db.session.add(listing)
            db.session.flush()
            enqueue("search", {"listing_id": listing.id})
            db.session.commit()
            started = time.perf_counter()
            drain_search_outbox()
            request = SearchRequest(q=f"量子点发光材料新工艺{i}")
            while listing.id not in [h.id for h in search(request).hits]:
                time.sleep(0.01)
            delays.append(time.perf_counter() - started)

    postgres = None if args.no_postgres else postgres_figures(args, queries, fields, rng.random())
    print(f"FTS5 build (jieba-segmented): {fts_build:.1f} s")
    print()
    engines = ["Whoosh", "PostgreSQL", "FTS5", "LIKE"]
    print(f"{'p50 / p95 ms':<30}" + "".join(f"{name:>16}" for name in engines))
    side_by_side = [
        ("plain search + facets", [plain, postgres and postgres["plain"], fts_plain, like_plain]),
        (
            "filtered + facets",
            [filtered, postgres and postgres["filtered"], fts_filtered, like_filtered],
        ),
        ("publish -> searchable", [delays, postgres and postgres["publish"], None, None]),
    ]
    for name, columns in side_by_side:
        cells = [f"{pct(v, 50):.1f} / {pct(v, 95):.1f}" if v else "-" for v in columns]
        print(f"{name:<30}" + "".join(f"{cell:>16}" for cell in cells))
    print()
    print(f"{'operation':<34} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in [
        ("matching: compute one demand", matching),
        ("matching: compute one achievement", matching_a),
        ("SQL LIKE matching (1 keyword)", like_matching),
        ("FTS5 matching (keywords OR)", fts_matching),
        ("matching: served from DB", served),
    ]:
        print(f"{name:<34} {pct(values, 50):>8.1f} {pct(values, 95):>8.1f}")
    print(
        f"mean plain search {statistics.mean(plain) * 1000:.1f} ms (Whoosh) over "
        f"{len(queries)} queries"
    )
    if postgres:
        print(f"PostgreSQL: {postgres['columns']}")
    print(
        "Whoosh and PostgreSQL: all words first, then some (facets over both); FTS5 and LIKE: "
        "all words only, field counts only"
    )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


def postgres_figures(
    args: argparse.Namespace, queries: list[str], fields: list[str], salt: float
) -> dict[str, Any]:
    """The same listings (same seed) in PostgreSQL, searched through the PostgreSQL backend."""
    import sqlalchemy as sa

    from config import normalise_database_url

    ensure_database(args.postgres_url)
    engine = sa.create_engine(normalise_database_url(args.postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    app = temp_app(args.postgres_url)
    rng = random.Random(args.seed + int(salt * 1000))
    with app.app_context():
        from marketplace.extensions import db
        from marketplace.listings.models import Achievement, Listing
        from marketplace.search.query import SearchRequest, search
        from marketplace.search.vectors import reindex_vectors
        from marketplace.seed.synthetic_listings import generate_listings

        generate_listings(args.achievements, args.demands, seed=args.seed)
        print(f"PostgreSQL: load average before the column recompute: {os.getloadavg()[0]:.1f}")
        cpu0 = _cpu_seconds()
        report = reindex_vectors(batch_size=1000)
        cpu = _cpu_seconds() - cpu0
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE listings"))
            conn.commit()
        columns = (
            f"search columns of {report['documents']} rows recomputed in "
            f"{report['seconds']:.1f} s = {report['docs_per_second']:.0f} rows/s "
            f"({cpu:.1f} CPU-s in this process; PostgreSQL's own CPU not counted)"
        )
        assert app.config["SEARCH_BACKEND"] == "auto"
        search(SearchRequest(q="石墨烯"))  # warm up
        plain = timed(lambda q: search(SearchRequest(q=q)), queries)
        filtered = timed(
            lambda q: search(
                SearchRequest(q=q, filters=(("field", rng.choice(fields)), ("maturity", "pilot")))
            ),
            queries,
        )
        delays = []
        org_id = db.session.execute(sa.select(Listing.org_id).limit(1)).scalar()
        for i in range(5):
            started = time.perf_counter()
            listing = Achievement(
                org_id=org_id,
                title=f"量子点发光材料新工艺{i}",
                body="量子点发光二极管",
                status="published",
                keywords=[],
                modes=[],
                patent_numbers=[],
                extra={},
            )
            db.session.add(listing)
            db.session.commit()
            request = SearchRequest(q=f"量子点发光材料新工艺{i}")
            while listing.id not in [h.id for h in search(request).hits]:
                time.sleep(0.01)
            delays.append(time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    return {"plain": plain, "filtered": filtered, "publish": delays, "columns": columns}


if __name__ == "__main__":
    raise SystemExit(main())
