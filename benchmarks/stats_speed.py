"""Statistics speed: full recompute, incremental refresh, dashboard and summary API p95.

Each figure is printed beside a naive baseline measured in the same run: loading every
registered contract and summing in Python (what the dashboard would have to do without the
rollup).

    python benchmarks/stats_speed.py --contracts 1000000                 # SQLite, temporary file
    python benchmarks/stats_speed.py --contracts 1000000 \\
        --database-url postgresql://127.0.0.1:5432/stats_bench --reuse   # PostgreSQL

``--reuse`` keeps contracts already in the database (seeding a million takes minutes). On a
local PostgreSQL server the recompute's server CPU time is printed too: on a shared machine it
is a steadier figure than wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


class BackendClock:
    """CPU seconds used by this process's PostgreSQL backends (local server only)."""

    def __init__(self, engine: Any) -> None:
        import sqlalchemy as sa

        self.pids: set[int] = set()
        if engine.dialect.name != "postgresql":
            return

        @sa.event.listens_for(engine, "checkout")
        def _remember(dbapi_connection: Any, record: Any, proxy: Any) -> None:
            if "pid" not in record.info:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    record.info["pid"] = cursor.fetchone()[0]
            self.pids.add(record.info["pid"])

    def read(self) -> float | None:
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / tick
        return total if self.pids else None


def naive_cells(db: Any) -> dict[tuple, list[int]]:
    """The baseline: load every registered contract and sum each cell in Python."""
    import sqlalchemy as sa

    from marketplace.contracts.models import Contract

    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    fen = sa.BigInteger
    query = sa.select(
        Contract.signed_on,
        Contract.type,
        Contract.field,
        Contract.seller_region,
        Contract.buyer_region,
        Contract.seller_kind,
        Contract.buyer_kind,
        Contract.broker_id,
        Contract.seller_org_id,
        sa.type_coerce(Contract.contract_amount, fen),
        sa.type_coerce(Contract.tech_amount, fen),
    ).where(Contract.status == "registered")
    result = db.session.execute(query.execution_options(yield_per=20_000))
    for signed, kind, field, sr, br, sk, bk, broker, org, amount, tech in result:
        y, m = signed.year, signed.month
        sr, br = sr or "", br or ""
        for key in (
            ("seller", "all", y, sr, m, ""),
            ("seller", "type", y, sr, m, kind),
            ("seller", "field", y, sr, m, field or ""),
            ("seller", "seller_kind", y, sr, m, sk or ""),
            ("seller", "buyer_kind", y, sr, m, bk or ""),
            ("seller", "counterpart", y, sr, 0, br),
            ("seller", "broker", y, sr, 0, str(broker) if broker else ""),
            ("seller", "org", y, sr, 0, str(org)),
            ("buyer", "all", y, br, m, ""),
            ("buyer", "counterpart", y, br, 0, sr),
        ):
            cell = cells[key]
            cell[0] += 1
            cell[1] += amount
            cell[2] += tech
    db.session.rollback()
    return cells


def naive_summary(db: Any, year: int) -> dict[str, Any]:
    """Baseline for the dashboard: this year's contracts loaded and summed in Python."""
    import sqlalchemy as sa

    from marketplace.contracts.models import Contract

    totals: dict[str, Any] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    rows = db.session.execute(
        sa.select(
            Contract.signed_on,
            Contract.type,
            Contract.field,
            Contract.seller_kind,
            Contract.seller_region,
            Contract.buyer_region,
            Contract.broker_id,
            Contract.contract_amount,
            Contract.tech_amount,
        ).where(
            Contract.status == "registered",
            Contract.signed_on >= date(year, 1, 1),
            Contract.signed_on < date(year + 1, 1, 1),
        )
    )
    for signed, kind, field, sk, sr, br, broker, amount, tech in rows:
        for key in (
            "all",
            f"m{signed.month}",
            f"t{kind}",
            f"f{field}",
            f"k{sk}",
            f"s{sr}",
            f"b{br}",
            f"r{broker}",
        ):
            cell = totals[key]
            cell[0] += 1
            cell[1] += amount
            cell[2] += tech
    db.session.rollback()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="keep contracts already in the database"
    )
    parser.add_argument("--runs", type=int, default=30, help="requests per page measurement")
    parser.add_argument("--recomputes", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="stats-bench-"))
    os.environ["MARKETPLACE_ENV"] = "testing"
    os.environ["MARKETPLACE_INSTANCE_DIR"] = str(workdir)
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    import sqlalchemy as sa

    from benchmarks.common import ensure_database

    ensure_database(url)
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.models import Organisation, User
    from marketplace.accounts.passwords import hash_password
    from marketplace.contracts.models import Contract
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.outbox import enqueue
    from marketplace.seed.synthetic_contracts import generate_contracts
    from marketplace.stats import rollup, services

    app = create_app("testing", WTF_CSRF_ENABLED=False)
    results: dict[str, Any] = {
        "database": app.config["SQLALCHEMY_DATABASE_URI"].split("://")[0],
        "contracts": args.contracts,
    }
    with app.app_context():
        upgrade()
        existing = db.session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar()
        if not args.reuse or existing < args.contracts:
            seconds, _ = timed(
                lambda: generate_contracts(
                    args.contracts - (existing if args.reuse else 0), seed=2026
                )
            )
            results["seed_seconds"] = round(seconds, 1)
            print(f"seeded {args.contracts:,} contracts in {seconds:.1f} s (incl. one recompute)")
        total = db.session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar()
        results["contracts"] = total
        clock = BackendClock(db.engine)

        # -- full recompute --------------------------------------------------------------
        walls, cpus = [], []
        for _ in range(args.recomputes):
            db.session.remove()
            cpu_before = clock.read()
            seconds, cells = timed(rollup.rebuild_all)
            cpu_after = clock.read()
            walls.append(seconds)
            if cpu_before is not None and cpu_after is not None:
                cpus.append(cpu_after - cpu_before)
        results["recompute_seconds"] = [round(s, 2) for s in walls]
        results["recompute_server_cpu_seconds"] = [round(s, 2) for s in cpus] or None
        results["cells"] = cells
        naive_seconds, naive = timed(lambda: naive_cells(db))
        results["naive_recompute_seconds"] = round(naive_seconds, 2)
        actual = rollup.actual_cells()
        results["naive_agrees"] = len(naive) == len(actual) and all(
            (m.contracts, m.contract_fen, m.tech_fen)
            == tuple(naive[(k.side, k.dim, k.year, k.region, k.month, k.value)])
            for k, m in actual.items()
        )
        check_seconds, differences = timed(rollup.check_rollup)
        results["check_seconds"] = round(check_seconds, 2)
        results["check_differences"] = len(differences)

        # -- incremental refresh after one registration --------------------------------------
        seller, buyer = db.session.execute(
            sa.select(Organisation.id, Organisation.region, Organisation.kind)
            .where(Organisation.kind.in_(("enterprise", "university")))
            .limit(2)
        ).all()
        refresh = []
        for index in range(20):
            contract = Contract(
                title="基准测试技术开发合同",
                type="development",
                subtype="commissioned",
                seller_org_id=seller.id,
                buyer_org_id=buyer.id,
                field="electronic_info",
                signed_on=date.today(),
                contract_amount=Decimal("123456.78"),
                tech_amount=Decimal("100000.00"),
                status="registered",
                registration_no=f"BENCH-{os.getpid()}-{time.time_ns()}-{index}",
                registered_at=utcnow(),
                seller_region=seller.region,
                seller_kind=seller.kind,
                buyer_region=buyer.region,
                buyer_kind=buyer.kind,
            )
            db.session.add(contract)
            db.session.flush()
            enqueue("stats", {"contract_id": contract.id})
            db.session.commit()
            seconds, handled = timed(services.drain_updates)
            assert handled == 1
            refresh.append(seconds)
        results["refresh_median_ms"] = round(statistics.median(refresh) * 1000, 1)
        results["refresh_p95_ms"] = round(p95(refresh) * 1000, 1)

        # -- dashboard and summary API -----------------------------------------------------
        org = Organisation(
            name=f"基准科技局{time.time_ns()}", kind="government", region="330000", verified=True
        )
        admin = User(
            email=f"bench{time.time_ns()}@example.cn",
            password_hash=hash_password("bench-password-1"),
            role="admin",
            org=org,
            name="bench",
        )
        db.session.add(admin)
        db.session.commit()
        client = app.test_client()
        response = client.post(
            "/login", data={"email": admin.email, "password": "bench-password-1"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        token = client.post(
            "/api/v1/auth/token", json={"email": admin.email, "password": "bench-password-1"}
        ).json["token"]
        api = app.test_client()
        year = date.today().year
        bearer = {"Authorization": f"Bearer {token}"}
        pages = [
            ("dashboard", f"/admin/stats?year={year}", client, {}),
            ("dashboard_region", f"/admin/stats?year={year}&region=330000", client, {}),
            ("summary_api", f"/api/v1/stats/summary?year={year}", api, bearer),
            ("summary_api_region", f"/api/v1/stats/summary?year={year}&region=330000", api, bearer),
        ]
        # Cached: the summary is kept per rollup version until a contract changes it.
        # Uncached: every request reads the rollup (as the first view after a change does).
        for suffix, cache in (("", True), ("_uncached", False)):
            app.config["STATS_SUMMARY_CACHE"] = cache
            for label, path, who, headers in pages:
                samples = []
                for _ in range(args.runs):
                    seconds, response = timed(lambda p=path, w=who, h=headers: w.get(p, headers=h))
                    assert response.status_code == 200, (label, response.status_code)
                    samples.append(seconds)
                results[f"{label}{suffix}_p95_ms"] = round(p95(samples) * 1000, 1)
                results[f"{label}{suffix}_median_ms"] = round(statistics.median(samples) * 1000, 1)
        naive_runs = [timed(lambda: naive_summary(db, year))[0] for _ in range(5)]
        results["naive_summary_p95_ms"] = round(p95(naive_runs) * 1000, 1)

    print()
    print(
        f"Statistics benchmark — {results['database']}, {results['contracts']:,} contracts, "
        f"{results['cells']:,} rollup cells"
    )
    cpu = results["recompute_server_cpu_seconds"]
    print(
        f"  full recompute (one transaction): {results['recompute_seconds']} s wall"
        + (f", {cpu} s server CPU" if cpu else "")
    )
    print(
        f"    naive: load every contract, sum in Python: {results['naive_recompute_seconds']} s"
        f" (agrees with the rollup: {results['naive_agrees']})"
    )
    print(
        f"  stats check (every cell vs direct SUM): {results['check_seconds']} s, "
        f"{results['check_differences']} differences"
    )
    print(
        f"  incremental refresh after one registration (drain task incl. job record): "
        f"median {results['refresh_median_ms']} ms, p95 {results['refresh_p95_ms']} ms"
        f"  (naive: a full pass, {results['naive_recompute_seconds']} s)"
    )
    for label in ("dashboard", "dashboard_region", "summary_api", "summary_api_region"):
        print(
            f"  {label:<20} p95 {results[label + '_p95_ms']:>7} ms "
            f"(median {results[label + '_median_ms']} ms); uncached p95 "
            f"{results[label + '_uncached_p95_ms']} ms "
            f"(median {results[label + '_uncached_median_ms']} ms)"
        )
    print(
        f"    naive summary (this year's contracts summed in Python) p95 "
        f"{results['naive_summary_p95_ms']} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
