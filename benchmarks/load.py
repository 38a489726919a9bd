"""Web under load: gunicorn (2 × cores workers) on PostgreSQL + Redis with a Celery worker,
seeded with synthetic data, driven by locust (32 users, 2 minutes, loopback only); prints
throughput, p50/p95/p99 and errors per request kind.

    /work/venv/bin/python -m benchmarks.load                       # SPEC §5 sizes
    /work/venv/bin/python -m benchmarks.load --achievements 5000 --demands 1000 --contracts 0

It uses its own PostgreSQL database (``--database``, dropped and re-created) and Redis db 5, so
it does not disturb a test run sharing the same servers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-pass-2026"  # noqa: S105  (throwaway accounts of a throwaway database)


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def cli(env: dict[str, str], *args: str) -> None:
    run([sys.executable, "-m", "marketplace", *args], env)


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=20_000)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", default="120s")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="marketplace_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="load-"))
    db_url = f"postgresql://127.0.0.1:5432/{args.database}"
    env = dict(os.environ, MARKETPLACE_ENV="production", SECRET_KEY=secrets.token_urlsafe(32),
               DATABASE_URL=db_url, CELERY_BROKER_URL=args.redis,
               MARKETPLACE_INSTANCE_DIR=str(instance),
               SEARCH_INDEX_DIR=str(instance / "search-index"))
    run(["psql", "-h", "127.0.0.1", "-d", "postgres", "-qc",
         f'DROP DATABASE IF EXISTS "{args.database}"'], env)
    run(["psql", "-h", "127.0.0.1", "-d", "postgres", "-qc", f'CREATE DATABASE "{args.database}"'],
        env)
    run(["redis-cli", "-u", args.redis, "FLUSHDB"], env, stdout=subprocess.DEVNULL)

    started = time.monotonic()
    cli(env, "db", "upgrade")
    seed = ["seed", "synthetic", "--achievements", str(args.achievements), "--demands",
            str(args.demands)]
    if args.contracts:
        seed += ["--contracts", str(args.contracts)]
    cli(env, *seed)
    accounts = {"researcher": "load-researcher@example.cn", "broker": "load-broker@example.cn",
                "enterprise": "load-enterprise@example.cn"}
    kinds = {"researcher": "university", "broker": "agency", "enterprise": "enterprise"}
    for role, email in accounts.items():
        cli(env, "users", "create", "--email", email, "--password", PASSWORD, "--role", role,
            "--org", f"负载测试{role}", "--org-kind", kinds[role], "--region", "330300")
    cli(env, "search", "reindex")
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)

    procs: list[subprocess.Popen[bytes]] = []
    logs = instance / "logs"
    logs.mkdir()

    def spawn(name: str, cmd: list[str]) -> None:
        log = (logs / f"{name}.log").open("wb")
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True))

    spawn("gunicorn", [sys.executable, "-m", "gunicorn", "--preload", "-w", str(args.workers),
                       "-b", f"127.0.0.1:{args.port}", "--access-logfile", "-",
                       "marketplace:create_app()"])
    spawn("worker-search", [sys.executable, "-m", "marketplace", "worker", "-Q", "search",
                            "-c", "1", "--loglevel", "warning"])
    spawn("worker", [sys.executable, "-m", "marketplace", "worker", "-Q", "default", "-c", "1",
                     "--loglevel", "warning"])
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_http(base + "/healthz")
        import sqlalchemy as sa

        from config import normalise_database_url

        engine = sa.create_engine(normalise_database_url(db_url))
        with engine.connect() as conn:
            def ids(kind: str) -> list[int]:
                return list(conn.execute(sa.text(
                    "SELECT id FROM listings WHERE kind = :k AND status = 'published' "
                    "ORDER BY random() LIMIT 2000"), {"k": kind}).scalars())
            plan = {"achievements": ids("achievement"), "demands": ids("demand")}
        engine.dispose()
        plan["tokens"] = {role: post_json(base + "/api/v1/auth/token",
                                          {"email": email, "password": PASSWORD})["token"]
                          for role, email in accounts.items()}
        plan["login"] = {"email": accounts["enterprise"], "password": PASSWORD}
        plan_path = instance / "plan.json"
        plan_path.write_text(json.dumps(plan))

        prefix = instance / "locust"
        run([sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
             "--headless", "-u", str(args.users), "-r", str(args.users), "-t", args.duration,
             "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            dict(env, LOAD_PLAN=str(plan_path)), stdout=subprocess.DEVNULL)
        report(prefix, args)
        errors = [line for line in (logs / "gunicorn.log").read_text(errors="replace")
                  .splitlines() if "Traceback" in line]
        print(f"server tracebacks: {len(errors)}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if not args.keep:
            subprocess.run(["psql", "-h", "127.0.0.1", "-d", "postgres", "-qc",
                            f'DROP DATABASE IF EXISTS "{args.database}"'], check=False)


def report(prefix: Path, args: argparse.Namespace) -> None:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    print(f"\nWeb under load: {args.users} users, {args.duration}, gunicorn -w {args.workers}, "
          f"{args.achievements} achievements / {args.demands} demands / "
          f"{args.contracts} contracts\n")
    print("| request | count | errors | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
              f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} |")
    for failure in failures:
        print(f"error: {failure['Method']} {failure['Name']}: {failure['Error']} "
              f"× {failure['Occurrences']}")


if __name__ == "__main__":
    main()
