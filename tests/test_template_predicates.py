"""Pages ask the services' predicates (deal_can, contract_can, listing_can, lot_can) who may act;
no template of these features decides it again from a role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ROLE_CONDITION = re.compile(r"{%-?\s*(?:el)?if\b[^%]*\bcurrent_user\.role\b[^%]*%}")


@pytest.mark.parametrize("feature", ["deals", "contracts", "listings", "auctions"])
def test_no_role_condition_in_feature_templates(feature: str) -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted((TEMPLATES / feature).rglob("*.html"))
        for match in ROLE_CONDITION.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_predicates_reach_the_templates(app, make_user) -> None:
    from flask import render_template_string

    from tests.factories import DealFactory

    broker = make_user("broker")
    deal = DealFactory()
    with app.test_request_context():
        shown = render_template_string(
            "{{ deal_can.can_claim(user, deal) }} {{ contract_can.can_record(user) }} "
            "{{ listing_can.can_create(user, 'demand') }} {{ lot_can.can_offer(user) }}",
            user=broker,
            deal=deal,
        )
    # A broker may claim a fresh suggestion and record contracts; demands and lots are not theirs.
    assert shown.split() == ["True", "True", "False", "False"]
