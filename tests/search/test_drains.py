"""The search and matching drains: isolation of bad messages, matching before counterparts exist."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import sqlalchemy as sa

from marketplace.deals.suggestions import drain_matching_outbox
from marketplace.extensions import db
from marketplace.listings.services import listing_changed
from marketplace.outbox import MAX_ATTEMPTS, OutboxMessage, enqueue, pending_count
from marketplace.search import index as search_index
from marketplace.search.matching import stored_matches
from tests.search.helpers import achievement, demand


def _changed(*listings) -> None:
    for listing in listings:
        listing_changed(listing)
    db.session.commit()


def _complaints(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("marketplace", "worker"))
    ]


def _drain_all() -> None:
    # The order the two workers may well take: matching first, then indexing, then matching.
    drain_matching_outbox()
    search_index.drain_search_outbox()
    drain_matching_outbox()


def test_matching_before_any_counterpart_is_quiet_and_catches_up(app, caplog):
    # Not even an index directory yet: the first demand of a new site.
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]), ignore_errors=True)
    wanted = demand(title="寻求锂电池回收技术", body="需要废旧锂电池湿法回收工艺")
    _changed(wanted)
    with caplog.at_level(logging.WARNING):
        _drain_all()
    assert _complaints(caplog) == []  # no matches and nothing to complain about
    assert pending_count() == 0
    assert stored_matches(wanted) == []

    # The first achievement is published: the earlier demand gets its match.
    offer = achievement(title="锂电池回收工艺", body="废旧锂电池湿法回收钴镍锂")
    _changed(offer)
    with caplog.at_level(logging.WARNING):
        _drain_all()
    assert _complaints(caplog) == []
    db.session.expire_all()
    assert [other.id for other, _match in stored_matches(wanted)] == [offer.id]
    assert [other.id for other, _match in stored_matches(offer)] == [wanted.id]


def test_a_bad_search_message_does_not_hold_back_the_others(app):
    good = achievement(title="石墨烯导热膜", body="石墨烯薄膜用于手机散热")
    enqueue("search", {"listing_id": "not a number"})
    enqueue("search", {"listing_id": good.id})
    db.session.commit()
    for _attempt in range(MAX_ATTEMPTS):
        search_index.drain_search_outbox()
    assert search_index.check().clean  # the good listing was indexed on the first drain
    bad = (
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.topic == "search")
            .order_by(OutboxMessage.id)
        )
        .scalars()
        .first()
    )
    assert bad.attempts == MAX_ATTEMPTS and bad.processed_at is not None
    assert "ValueError" in bad.last_error
    assert pending_count("search") == 0
