"""The web's capacity as users meet it: gunicorn over synthetic listings, driven at fixed arrival
rates (open loop) that step up until the search page's p95 passes 200 ms.

    python -m benchmarks.load                                   # PostgreSQL + Redis, SPEC sizes
    python -m benchmarks.load --embedded                        # SQLite + Whoosh (the default)
    python -m benchmarks.load --achievements 20000 --demands 4000 --rates 2,4,8,16

The mix (issue 17): half search pages (30 % with a field filter, some on pages 2–5), 30 % listing
detail pages, 20 % browse list pages. Each step prints p50/p95 per kind, what was achieved, the
load generator's own CPU and the web's requests per CPU-second (gunicorn master + workers, from
/proc). The capacity is the last rate whose search p95 stayed ≤ 200 ms (and nothing failed).

It uses its own PostgreSQL database (``--database``, dropped and re-created) and Redis db
(``--redis``), or a temporary SQLite file with ``--embedded``. The machine is shared: the load
average is printed beside every step.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from benchmarks.openloop import StepResult, run_step

ROOT = Path(__file__).resolve().parent.parent
SEARCH_P95_MS = 200.0
TERMS = [
    "石墨烯",
    "锂电池 回收",
    "污水处理 膜",
    "传感器",
    "人工智能",
    "生物医药",
    "新能源",
    "数控机床",
    "复合材料",
    "智能制造",
    "water treatment",
    "电池",
    "手机散热材料",
]
FIELDS = ["new_materials", "electronic_info", "environment", "advanced_manufacturing"]
KINDS = ("search", "detail", "list")


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


def chooser(achievements: list[int], demands: list[int], pages: int) -> Any:
    def choose(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.5:
            params = {"q": rng.choice(TERMS)}
            if rng.random() < 0.3:
                params["field"] = rng.choice(FIELDS)
            if rng.random() < 0.2:
                params["page"] = str(rng.randint(2, 5))
            return "search", "/search?" + urllib.parse.urlencode(params)
        if roll < 0.8:
            if rng.random() < 0.8:
                return "detail", f"/achievements/{rng.choice(achievements)}"
            return "detail", f"/demands/{rng.choice(demands)}"
        return "list", f"/achievements?page={rng.randint(1, pages)}"

    return choose


def web_cpu(master: int) -> float:
    """CPU seconds of the gunicorn master and its workers so far."""
    total = 0.0
    try:
        parent = psutil.Process(master)
        for proc in [parent, *parent.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


def print_step(step: StepResult, web_seconds: float) -> None:
    done = sum(len(v) for v in step.latencies.values())
    cells = " ".join(
        f"{kind} {step.pct(kind, 50):6.0f}/{step.pct(kind, 95):6.0f}" for kind in KINDS
    )
    per_cpu = done / web_seconds if web_seconds else float("nan")
    print(
        f"{step.rate:6.1f} req/s | {done / step.seconds:5.1f} done/s | p50/p95 ms: {cells} | "
        f"errors {sum(step.errors.values())} | generator CPU {step.generator_cpu:4.1f} s "
        f"({100 * step.generator_cpu / step.seconds:3.0f} %) | web {per_cpu:5.1f} req per "
        f"CPU-s | load avg {os.getloadavg()[0]:.1f}"
        f"{' | ABANDONED (backlog)' if step.abandoned else ''}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=20_000)
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="SQLite + Whoosh (the embedded default) instead of PostgreSQL",
    )
    parser.add_argument(
        "--rates",
        default="2,4,8,12,16,24,32,48,64",
        help="arrival rates to step through (requests/s)",
    )
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="marketplace_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--all-steps",
        action="store_true",
        help="run every rate even past the threshold (for requests per CPU-s)",
    )
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="load-"))
    if args.embedded:
        db_url = f"sqlite:///{instance / 'load.db'}"
        broker = f"sqla+sqlite:///{instance / 'broker.sqlite'}"
    else:
        db_url = f"postgresql://127.0.0.1:5432/{args.database}"
        broker = args.redis
    env = dict(
        os.environ,
        MARKETPLACE_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        MARKETPLACE_INSTANCE_DIR=str(instance),
        SEARCH_INDEX_DIR=str(instance / "search-index"),
    )
    if not args.embedded:
        run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-d",
                "postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{args.database}"',
            ],
            env,
        )
        run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-d",
                "postgres",
                "-qc",
                f'CREATE DATABASE "{args.database}"',
            ],
            env,
        )
        run(["redis-cli", "-u", args.redis, "FLUSHDB"], env, stdout=subprocess.DEVNULL)

    started = time.monotonic()
    cli(env, "db", "upgrade")
    cli(
        env,
        "seed",
        "synthetic",
        "--achievements",
        str(args.achievements),
        "--demands",
        str(args.demands),
    )
    # PostgreSQL: the search columns; embedded: the Whoosh index the web processes read.
    cli(env, "search", "reindex")
    print(
        f"seeded in {time.monotonic() - started:.0f} s; setup: "
        f"{'SQLite + Whoosh' if args.embedded else 'PostgreSQL + Redis'}, "
        f"gunicorn -w {args.workers} (sync), no worker process (the mix only reads)",
        flush=True,
    )

    import sqlalchemy as sa

    from config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(db_url))
    with engine.connect() as conn:

        def ids(kind: str) -> list[int]:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT id FROM listings WHERE kind = :k AND status = 'published' "
                        "ORDER BY random() LIMIT 2000"
                    ),
                    {"k": kind},
                ).scalars()
            )

        achievements, demands = ids("achievement"), ids("demand")
    engine.dispose()
    pages = max(1, min(500, args.achievements // 20))

    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--preload",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--backlog",
            "2048",
            "marketplace:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    capacity: StepResult | None = None
    failed = False
    try:
        wait_http(base + "/healthz")
        choose = chooser(achievements, demands, pages)
        run_step(base, 4, 5, choose, seed=0)  # warm up every worker
        print(
            f"\nmix: search 50 %, detail 30 %, list 20 %; {args.step_seconds:.0f} s per step; "
            f"{args.achievements} achievements / {args.demands} demands",
            flush=True,
        )
        for i, rate in enumerate(float(r) for r in args.rates.split(",")):
            cpu0 = web_cpu(server.pid)
            step = run_step(base, rate, args.step_seconds, choose, seed=i + 1)
            print_step(step, web_cpu(server.pid) - cpu0)
            passed = not (step.abandoned or step.errors or step.pct("search", 95) > SEARCH_P95_MS)
            if passed and (capacity is None or capacity.rate < step.rate) and not failed:
                capacity = step
            failed = failed or not passed
            if step.abandoned or (failed and not args.all_steps):
                break
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if not args.embedded and not args.keep:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-d",
                    "postgres",
                    "-qc",
                    f'DROP DATABASE IF EXISTS "{args.database}"',
                ],
                check=False,
            )
    if capacity is None:
        print(
            f"\ncapacity: below {args.rates.split(',')[0]} req/s (search p95 > "
            f"{SEARCH_P95_MS:.0f} ms at the first step)"
        )
    else:
        worst = max(KINDS, key=lambda kind: capacity.pct(kind, 95))
        print(
            f"\ncapacity: {capacity.rate:.0f} req/s of this mix with search p95 "
            f"{capacity.pct('search', 95):.0f} ms ≤ {SEARCH_P95_MS:.0f} ms (slowest page p95: "
            f"{worst} {capacity.pct(worst, 95):.0f} ms)"
        )


if __name__ == "__main__":
    main()
