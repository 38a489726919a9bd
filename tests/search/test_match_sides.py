"""Each listing's refresh replaces its own ranked list, never the other side's.

Found by the busy-day test on PostgreSQL: achievements whose matching ran first stored their
pairs, then every demand's refresh deleted all pairs naming that demand (its own list holds
other achievements), and about a hundred achievements ended with no match at all.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.search.matching import Match, store_matches, stored_matches
from marketplace.search.models import ListingMatch
from tests.search.helpers import achievement, demand


def _rows() -> set[tuple[str, int, int, float]]:
    return {
        (row.ranked_by, row.demand_id, row.achievement_id, row.score)
        for row in db.session.execute(sa.select(ListingMatch)).scalars()
    }


def test_a_demands_refresh_keeps_the_achievements_own_list(app):
    wheat = achievement(title="小麦新品种选育", body="抗病高产小麦")
    rice = achievement(title="水稻新品种选育", body="优质食味粳稻")
    seeds = demand(title="寻求优质种子", body="需要粮食作物新品种")
    db.session.commit()

    # The achievement's matching ran first and ranked the demand …
    store_matches(wheat.id, [Match(seeds.id, 0.4, [])])
    db.session.commit()
    # … then the demand's own refresh ranked the other achievement only.
    store_matches(seeds.id, [Match(rice.id, 0.6, [])])
    db.session.commit()

    assert _rows() == {
        ("achievement", seeds.id, wheat.id, 0.4),
        ("demand", seeds.id, rice.id, 0.6),
    }
    assert [other.id for other, _row in stored_matches(wheat)] == [seeds.id]
    assert [other.id for other, _row in stored_matches(seeds)] == [rice.id]


@pytest.fixture
def ranked_both_ways(app):
    """An achievement and a demand that each put the other in its list, with its own score."""
    wheat = achievement(title="小麦新品种选育", body="抗病高产小麦")
    seeds = demand(title="寻求小麦种子", body="需要小麦新品种")
    db.session.commit()
    store_matches(wheat.id, [Match(seeds.id, 0.5, [])])
    store_matches(seeds.id, [Match(wheat.id, 0.7, [{"code": "same_field"}])])
    db.session.commit()
    return wheat, seeds


def test_each_side_keeps_its_own_score_for_the_same_pair(ranked_both_ways):
    wheat, seeds = ranked_both_ways
    assert [row.score for _other, row in stored_matches(wheat)] == [0.5]
    assert [row.score for _other, row in stored_matches(seeds)] == [0.7]

    store_matches(seeds.id, [])  # the demand no longer ranks it
    db.session.commit()
    assert stored_matches(seeds) == []
    assert [other.id for other, _row in stored_matches(wheat)] == [seeds.id]


def test_a_closed_listing_leaves_every_list(ranked_both_ways):
    _wheat, seeds = ranked_both_ways
    seeds.status = "closed"
    db.session.commit()
    store_matches(seeds.id, None)  # what its refresh computes for a closed listing
    db.session.commit()
    assert _rows() == set()
