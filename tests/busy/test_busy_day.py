"""A real day's work on the embedded default: bulk imports beside a live site.

The web server and the two workers run as ``marketplace up`` starts them; both shared listing
files are imported through the CLI while a reader polls pages and API endpoints. Nothing may
answer 5xx, both imports must succeed, every published listing must have its matches stored,
the search index and the statistics must reconcile, and no process may print a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import pending_count
from marketplace.search.matching import compute_matches
from marketplace.search.models import ListingMatch
from tests.conftest import ROOT, SHARED_DATA, ManagedProcess, wait_for
from tests.factories import PASSWORD, UserFactory
from tests.live import WebServer, token_for

pytestmark = [pytest.mark.busyday, pytest.mark.worker]

# The shared data sits beside the checkout; MARKETPLACE_SHARED_DATA points elsewhere.
LISTINGS = Path(os.environ.get("MARKETPLACE_SHARED_DATA") or SHARED_DATA) / "listings"


class Reader(threading.Thread):
    """Reads pages and API endpoints every 0.2 s, recording any 5xx answer."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.token = token
        self.stopped = threading.Event()
        self.failures: list[str] = []
        self.reads = 0

    def paths(self) -> Iterator[str]:
        fixed = [
            "/",
            "/achievements",
            "/demands",
            "/search?q=石墨烯",
            "/api/v1/search?q=电池&kind=achievement",
            "/api/v1/achievements",
            "/api/v1/demands?per_page=5",
        ]
        listing = 1
        while True:
            yield from fixed
            # Details (a view counts: a write inside a GET) and stored matches.
            yield f"/demands/{listing}"
            yield f"/achievements/{listing}"
            yield f"/api/v1/demands/{listing}/matches"
            yield f"/api/v1/achievements/{listing}/matches"
            listing = listing % 4000 + 37

    def run(self) -> None:
        for path in self.paths():
            if self.stopped.wait(0.2):
                return
            request = urllib.request.Request(self.base + urllib.parse.quote(path, safe="/?=&"))  # noqa: S310
            if path.startswith("/api/"):
                request.add_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as error:
                if error.code >= 500:
                    self.failures.append(f"{error.code} {path}")
            except Exception as error:  # a refused or broken connection is a failure too
                self.failures.append(f"{type(error).__name__} {path}")
            self.reads += 1


def _cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "marketplace", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _unmatched_ids() -> list[int]:
    matched = sa.select(ListingMatch.id).where(ListingMatch.listed_by(Listing.id))
    return list(
        db.session.execute(
            sa.select(Listing.id).where(Listing.status == "published", ~matched.exists())
        ).scalars()
    )


def _matching_done() -> bool:
    """Nothing queued, and every published listing has its own ranked list stored: a listing
    without one is one for which the matcher, asked now, finds nothing above its relevance floor
    (a few real listings share no meaningful word with any counterpart)."""
    db.session.rollback()
    if pending_count() > 0:
        return False
    return all(compute_matches(db.session.get(Listing, id_)) == [] for id_ in _unmatched_ids())


def test_bulk_imports_beside_a_running_site(worker_app, worker_env, tmp_path: Path):
    if not (LISTINGS / "achievements.jsonl").exists():
        pytest.skip("the shared listing files are not available")
    # As `marketplace up` starts them: the search index's single writer, and the default
    # queue with two processes and the scheduler (outbox sweep, lost-job reaper).
    workers = [
        ManagedProcess(
            ["worker", "-Q", "search", "-c", "1", "--loglevel", "info"],
            worker_env,
            tmp_path / "worker-search.log",
        ),
        ManagedProcess(
            ["worker", "-Q", "default", "-c", "2", "--beat", "--loglevel", "info"],
            worker_env,
            tmp_path / "worker-default.log",
        ),
    ]
    admin = UserFactory(role="admin")
    db.session.commit()
    server = WebServer(worker_env, tmp_path / "web.log")
    reader = None
    try:
        server.wait_ready()
        reader = Reader(server.url, token_for(server, admin.email, PASSWORD))
        reader.start()
        results = [
            _cli(
                worker_env,
                "import",
                "achievements",
                str(LISTINGS / "achievements.jsonl"),
                "--org",
                "示例大学",
                "--publish",
            ),
            _cli(
                worker_env,
                "import",
                "demands",
                str(LISTINGS / "demands.jsonl"),
                "--org",
                "示例企业",
                "--publish",
            ),
        ]
        for result in results:
            assert result.returncode == 0, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
        db.session.rollback()  # a fresh snapshot: the imports committed in other processes
        published = db.session.execute(
            sa.select(sa.func.count()).select_from(Listing).where(Listing.status == "published")
        ).scalar_one()
        assert published > 4000

        def every_listing_matched() -> bool:
            for worker in workers:
                assert worker.proc.poll() is None, worker.output()[-4000:]
            return _matching_done()

        try:
            wait_for(
                every_listing_matched,
                timeout=600,
                interval=2.0,
                message="matching done for every published listing",
            )
        except AssertionError as timed_out:
            # Say how far the backlog got: slow (work still queued) differs from stuck.
            db.session.rollback()
            queued = {topic: pending_count(topic) for topic in ("search", "matching")}
            raise AssertionError(
                f"{timed_out}; still queued: {queued}; published listings without matches: "
                f"{len(_unmatched_ids())}"
            ) from None
        reader.stopped.set()
        reader.join(timeout=90)
        assert reader.reads > 20
        assert reader.failures == []
        for command in (("search", "check"), ("stats", "check")):
            check = _cli(worker_env, *command)
            assert check.returncode == 0, check.stdout + check.stderr
        assert server.errors() == []
        for worker in workers:
            assert "Traceback" not in worker.output(), worker.output()[-6000:]
    finally:
        if reader is not None:
            reader.stopped.set()
        server.stop()
        for worker in workers:
            worker.stop()
