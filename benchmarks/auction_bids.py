"""Bid latency under contention: 20 approved bidders fire 200 bids at one lot through the API.

    python benchmarks/auction_bids.py                                      # SQLite, temp file
    python benchmarks/auction_bids.py --database-url postgresql://127.0.0.1:5432/bids_bench

Starts ``marketplace serve`` (the threaded server of the embedded setup) or, with
``--gunicorn``, gunicorn with 4 threaded workers, on the benchmark's own database, then every
bidder's thread reads the lot and bids the next valid amount as fast as it can. Prints the
latency p50/p95 of all bid requests and of the accepted ones, and how many were accepted or
refused (a refused bid lost its step to another bidder: 409 with the new top).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class BidAttempt:
    bidder: int
    amount: str
    status: int
    code: str | None
    seconds: float


def _request(
    url: str, method: str = "GET", body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def fire_bids(
    base_url: str, lot_id: int, tokens: list[str], bids_per_bidder: int, seed: int = 18
) -> list[BidAttempt]:
    """Every token's thread reads the lot and bids the next valid amount (sometimes one or two
    increments more), all threads released at once; returns every attempt."""
    attempts: list[BidAttempt] = []
    lock = threading.Lock()
    start = threading.Barrier(len(tokens))

    def run(index: int, token: str) -> None:
        rng = random.Random(seed + index)
        start.wait()
        for _ in range(bids_per_bidder):
            status, lot = _request(f"{base_url}/api/v1/lots/{lot_id}", token=token)
            if status != 200:
                raise AssertionError(f"lot read failed: {status} {lot}")
            amount = Decimal(lot["next_amount"]) + Decimal(lot["increment"]) * rng.choice(
                (0, 0, 0, 1, 2)
            )
            began = time.perf_counter()
            status, body = _request(
                f"{base_url}/api/v1/lots/{lot_id}/bids",
                "POST",
                {"amount": format(amount, "f")},
                token,
            )
            elapsed = time.perf_counter() - began
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            with lock:
                attempts.append(BidAttempt(index, format(amount, "f"), status, code, elapsed))

    threads = [threading.Thread(target=run, args=(i, token)) for i, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return attempts


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def seed_lot(bidders: int) -> tuple[int, list[str]]:
    """A lot in bidding (closing in 3 minutes) with ``bidders`` approved enterprises."""
    from marketplace.accounts.models import Organisation, User
    from marketplace.accounts.passwords import hash_password
    from marketplace.accounts.services import issue_token
    from marketplace.auctions.models import Lot, LotBidder
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.listings.models import Achievement

    now = utcnow()
    seller = Organisation(name="基准卖方大学", kind="university", region="330100", verified=True)
    db.session.add(seller)
    db.session.flush()
    achievement = Achievement(
        title="基准竞价成果",
        body="用于竞价基准测试。",
        org_id=seller.id,
        status="published",
        field="new_materials",
        published_at=now,
    )
    db.session.add(achievement)
    db.session.flush()
    lot = Lot(
        achievement_id=achievement.id,
        org_id=seller.id,
        title=achievement.title,
        mode="auction",
        rights="transfer",
        status="bidding",
        start_price=Decimal("100000"),
        increment=Decimal("1000"),
        deposit=Decimal("0"),
        extension_minutes=5,
        announced_at=now - timedelta(days=8),
        registration_opens_at=now - timedelta(days=3),
        bidding_starts_at=now - timedelta(minutes=1),
        bidding_ends_at=now + timedelta(minutes=3),
        closes_at=now + timedelta(minutes=3),
    )
    db.session.add(lot)
    db.session.flush()
    password = hash_password("bench-pass-2026")
    tokens = []
    for number in range(1, bidders + 1):
        org = Organisation(
            name=f"基准竞买企业{number}", kind="enterprise", region="330300", verified=True
        )
        user = User(
            email=f"bidder{number}@bench.cn",
            role="enterprise",
            org=org,
            password_hash=password,
            active=True,
        )
        db.session.add_all([org, user])
        db.session.flush()
        db.session.add(
            LotBidder(
                lot_id=lot.id,
                org_id=org.id,
                user_id=user.id,
                status="approved",
                number=number,
                deposit_status="received",
                deposit_amount=Decimal("0"),
                deposit_receipt=f"B{number}",
            )
        )
        _token, raw = issue_token(user, "bench")
        tokens.append(raw)
    db.session.commit()
    return lot.id, tokens


def _serve(env: dict[str, str], port: int, use_gunicorn: bool) -> subprocess.Popen[bytes]:
    if use_gunicorn:
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "4",
            "--threads",
            "8",
            "-b",
            f"127.0.0.1:{port}",
            "marketplace:create_app()",
        ]
    else:
        args = [sys.executable, "-m", "marketplace", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the web server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--bidders", type=int, default=20)
    parser.add_argument("--bids", type=int, default=200, help="total bid requests")
    parser.add_argument("--gunicorn", action="store_true")
    args = parser.parse_args()

    from benchmarks.common import ensure_database, temp_app
    from tests.live import free_port

    if args.database_url and args.database_url.startswith("postgres"):
        import sqlalchemy as sa

        ensure_database(args.database_url)
        engine = sa.create_engine(
            args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = temp_app(args.database_url)
    with app.app_context():
        lot_id, tokens = seed_lot(args.bidders)
        url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ, DATABASE_URL=url.replace("+psycopg", ""), MARKETPLACE_ENV="testing")
    port = free_port()
    server = _serve(env, port, args.gunicorn)
    try:
        began = time.perf_counter()
        attempts = fire_bids(
            f"http://127.0.0.1:{port}", lot_id, tokens, max(1, args.bids // args.bidders)
        )
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    accepted = [a.seconds * 1000 for a in attempts if a.status == 201]
    every = [a.seconds * 1000 for a in attempts]
    codes: dict[str, int] = {}
    for attempt in attempts:
        key = str(attempt.status) + (f" {attempt.code}" if attempt.code else "")
        codes[key] = codes.get(key, 0) + 1
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    server_kind = "gunicorn 4x8" if args.gunicorn else "marketplace serve (threaded)"
    print(
        f"bid latency, {len(tokens)} bidders, {len(attempts)} bids, {backend}, {server_kind}, "
        f"{wall:.1f} s wall"
    )
    print(
        f"  all bids:      p50 {statistics.median(every):7.1f} ms   "
        f"p95 {percentile(every, 0.95):7.1f} ms"
    )
    if accepted:
        print(
            f"  accepted bids: p50 {statistics.median(accepted):7.1f} ms   "
            f"p95 {percentile(accepted, 0.95):7.1f} ms   ({len(accepted)} accepted)"
        )
    print("  answers: " + ", ".join(f"{key}: {count}" for key, count in sorted(codes.items())))
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
