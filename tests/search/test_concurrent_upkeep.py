"""Two transactions at once on PostgreSQL: a listing edited while its organisation moves.

The search rows and postings of a listing are a projection of the listing *and* its
organisation. The upsert reads the organisation ``FOR SHARE``, so whichever transaction comes
second waits for the first and then writes from both changes; neither may overwrite the other
with what it read before (marketplace/search/search_rows.py). Real connections, one in a thread,
the second writer observed blocked on the first's lock before the first commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.query import SearchRequest, search
from marketplace.search.search_rows import check_search_rows
from tests.search.helpers import achievement

WAIT_SECONDS = 30


def _wait_until_waiting_on_a_lock(engine: sa.Engine, pid: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar()
            conn.rollback()
            if waiting == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first one's lock")


@pytest.mark.parametrize("first", ["listing", "organisation"])
def test_an_edit_and_an_organisation_move_at_once_both_reach_rows_and_postings(pg_app, first):
    listing = achievement(title="钙钛矿叠层电池", body="钙钛矿", region="", modes=[])
    db.session.commit()
    listing_id, org_id = listing.id, listing.org_id
    engine = db.engine

    def edit_listing(session: Session) -> None:
        row = session.get(Listing, listing_id)
        assert row is not None
        row.title, row.body = "固态电解质薄膜", "固态电解质"
        session.flush()

    def move_organisation(session: Session) -> None:
        org = session.get(Organisation, org_id)
        assert org is not None
        org.region = "310101"
        session.flush()

    steps: dict[str, Callable[[Session], None]] = {
        "listing": edit_listing,
        "organisation": move_organisation,
    }
    second_name = "organisation" if first == "listing" else "listing"
    errors: list[BaseException] = []
    with Session(engine) as one, Session(engine) as two:
        steps[first](one)  # flushed: its rows written and locked, not committed
        pid = two.connection().connection.dbapi_connection.info.backend_pid

        def run_second() -> None:
            try:
                with pg_app.app_context():
                    steps[second_name](two)
                    two.commit()
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        thread = threading.Thread(target=run_second)
        thread.start()
        try:
            _wait_until_waiting_on_a_lock(engine, pid)
            one.commit()
        finally:
            thread.join(WAIT_SECONDS)
    assert not thread.is_alive() and errors == []

    db.session.expire_all()
    assert check_search_rows(db.session.connection()) == []
    shanghai = (("region", "310000"),)
    assert [h.id for h in search(SearchRequest(q="固态电解质", filters=shanghai)).hits] == [
        listing_id
    ]
    assert search(SearchRequest(q="钙钛矿")).total == 0
