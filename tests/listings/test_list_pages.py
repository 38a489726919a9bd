"""The browse list pages through every published listing, newest first, each exactly once."""

from __future__ import annotations

import re
from datetime import timedelta

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.views import PER_PAGE
from tests.factories import AchievementFactory, DemandFactory


def _titles_on(client, url: str) -> list[str]:
    html = client.get(url).get_data(as_text=True)
    return re.findall(r"浏览页成果\d{3}", html)


def test_pages_follow_newest_first_with_ties_and_skip_unpublished(client):
    start = utcnow()
    published = []
    for i in range(2 * PER_PAGE + 5):
        # Every third listing shares its publication time with the previous one: the id decides.
        when = start - timedelta(minutes=i - (i % 3 == 2))
        published.append(AchievementFactory(title=f"浏览页成果{i:03d}", published_at=when))
    AchievementFactory(title="浏览页成果900", status="draft", published_at=None)
    AchievementFactory(title="浏览页成果901", status="closed")
    DemandFactory(title="浏览页成果902")
    db.session.commit()
    expected = [
        a.title for a in sorted(published, key=lambda a: (a.published_at, a.id), reverse=True)
    ]

    pages = [_titles_on(client, f"/achievements?page={n}") for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [PER_PAGE, PER_PAGE, 5]
    assert pages[0] + pages[1] + pages[2] == expected
    assert _titles_on(client, "/achievements?page=4") == []
    html = client.get("/achievements").get_data(as_text=True)
    total = re.search(r'data-testid="total">([^<]*)<', html)
    assert total is not None and re.findall(r"\d+", total.group(1)) == [str(len(published))]
