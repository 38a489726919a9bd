"""The full recompute's SQL on PostgreSQL, serial (one INSERT … WITH … MATERIALIZED) against
parallel (each stage a CREATE TEMPORARY TABLE … AS, which may use parallel workers), alternated
in the same run on the same contracts; every attempt is rolled back.

    python -m benchmarks.stats_rebuild_ab --database-url postgresql://127.0.0.1:5432/stats_bench

The database must hold contracts already (``benchmarks/stats_speed.py`` seeds them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MARKETPLACE_ENV", "testing")
    from config import normalise_database_url
    from marketplace.stats.rollup import rebuild_sql, rebuild_statements_postgresql

    engine = sa.create_engine(normalise_database_url(args.database_url))
    ways = {"serial": [rebuild_sql("postgresql")], "parallel": rebuild_statements_postgresql()}
    times: dict[str, list[float]] = {name: [] for name in ways}
    loads: list[float] = []
    for round_no in range(args.rounds):
        order = list(ways) if round_no % 2 == 0 else list(reversed(ways))
        for name in order:
            with engine.connect() as connection:
                transaction = connection.begin()
                connection.exec_driver_sql("SET LOCAL work_mem = '128MB'")
                connection.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0.001")
                connection.exec_driver_sql(
                    "CREATE TEMPORARY TABLE stats_new (LIKE stats_cells) ON COMMIT DROP"
                )
                started = time.perf_counter()
                for statement in ways[name]:
                    connection.exec_driver_sql(statement)
                times[name].append(time.perf_counter() - started)
                cells = connection.exec_driver_sql("SELECT count(*) FROM stats_new").scalar()
                transaction.rollback()
            loads.append(os.getloadavg()[0])
            print(
                f"round {round_no + 1} {name:8s} {times[name][-1]:6.2f} s  ({cells} cells, "
                f"load average {loads[-1]:.1f})",
                flush=True,
            )
    for name, samples in times.items():
        print(
            f"{name:8s} median {statistics.median(samples):.2f} s  "
            f"({', '.join(f'{s:.2f}' for s in samples)})"
        )
    print(f"load average during the run: {min(loads):.1f}–{max(loads):.1f}")


if __name__ == "__main__":
    main()
