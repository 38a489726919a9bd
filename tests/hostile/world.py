"""A populated little world for the hostile suites: signed-in actors of every role, and
private objects of another organisation, each carrying a unique marker text that must never
reach anyone outside that organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from tests.conftest import api_headers, login

ROLES = ("researcher", "enterprise", "broker", "admin")


@dataclass
class World:
    web: dict[str, Any]  # role (or "anonymous") -> signed-in test client
    api: dict[str, dict[str, str]]  # role (or "anonymous") -> request headers
    actors: dict[str, Any]  # role -> the user behind ``web``
    api_actors: dict[str, Any]  # role -> the user behind ``api``
    private: dict[str, list[int]] = field(default_factory=dict)  # kind -> ids
    markers: dict[str, str] = field(default_factory=dict)  # marker -> what it belongs to
    owner_org_id: int = 0
    ids_by_arg: dict[str, list[int]] = field(default_factory=dict)
    insiders: dict[str, Any] = field(default_factory=dict)  # name -> user on the private side

    def all_private_ids(self) -> list[int]:
        return sorted({i for ids in self.private.values() for i in ids})


def build_world(app: Any) -> World:
    """Actors in an organisation of their own; victims in organisation "owner" (plus a broker
    of the owner's side) — so every actor is an outsider to every private object."""
    from marketplace.extensions import db
    from tests import factories as f

    web_actors = {role: f.UserFactory(role=role) for role in ROLES}
    api_actors = {role: f.UserFactory(role=role) for role in ROLES}
    web = {"anonymous": app.test_client()}
    for role, user in web_actors.items():
        client = app.test_client()
        login(client, user)
        web[role] = client
    token_client = app.test_client()
    api = {"anonymous": {}}
    for role, user in api_actors.items():
        api[role] = api_headers(token_client, user)

    world = World(web=web, api=api, actors=web_actors, api_actors=api_actors)
    owner_org = f.OrganisationFactory(name="受害单位-MARKORG", kind="university")
    buyer_org = f.OrganisationFactory(name="受害企业-MARKBUYER", kind="enterprise")
    world.owner_org_id = owner_org.id
    owner = f.UserFactory(role="researcher", org=owner_org, phone="13899990000")
    buyer = f.UserFactory(role="enterprise", org=buyer_org)
    broker = f.UserFactory(role="broker")
    # Plain records: the ORM objects are detached once the building session ends.
    world.insiders = {
        name: SimpleNamespace(id=user.id, email=user.email)
        for name, user in (("owner", owner), ("buyer", buyer), ("broker", broker))
    }
    world.ids_by_arg["user_id"] = [owner.id, buyer.id, broker.id]
    world.ids_by_arg["org_id"] = [owner_org.id, buyer_org.id]

    def mark(kind: str, n: int) -> str:
        return _marker(world, kind, n)

    achievements = []
    for n, status in enumerate(("draft", "pending", "rejected")):
        achievements.append(
            f.AchievementFactory(
                title=f"私有成果 {mark('achievement', n)}",
                status=status,
                org=owner_org,
                owner=owner,
                published_at=None,
            )
        )
    demands = []
    for n, status in enumerate(("draft", "pending", "rejected")):
        demands.append(
            f.DemandFactory(
                title=f"私有需求 {mark('demand', n)}",
                status=status,
                org=buyer_org,
                owner=buyer,
                published_at=None,
            )
        )
    public_achievement = f.AchievementFactory(org=owner_org, owner=owner)
    public_demand = f.DemandFactory(org=buyer_org, owner=buyer)
    world.private["achievement"] = [a.id for a in achievements]
    world.private["demand"] = [d.id for d in demands]
    world.ids_by_arg["public_listing"] = [public_achievement.id, public_demand.id]

    deal = f.DealFactory(
        demand=public_demand,
        achievement=public_achievement,
        broker=broker,
        stage="negotiating",
        source="interest",
    )
    from marketplace.deals.models import DealEvent

    db.session.add(
        DealEvent(
            deal_id=deal.id,
            actor_id=broker.id,
            kind="note",
            note=f"谈判备注 {mark('deal_note', 0)}",
        )
    )
    db.session.commit()
    world.private["deal"] = [deal.id]

    contracts = []
    for n, status in enumerate(("draft", "submitted", "registered")):
        contract = f.ContractFactory(
            title=f"私有合同 {mark('contract', n)}",
            status=status,
            seller_org=owner_org,
            buyer_org=buyer_org,
            broker=broker,
            deal_id=deal.id,
            # Last year's number: the registration counter issues this year's, and a number it
            # did not issue would collide with the next registration the fuzzer makes.
            registration_no=f"2025330300{n:06d}" if status == "registered" else None,
        )
        contracts.append(contract)
    from marketplace.contracts.models import ContractLineItem

    db.session.add(
        ContractLineItem(
            contract_id=contracts[0].id,
            amount=Decimal("1000.00"),
            description=f"设备 {mark('line_item', 0)}",
            non_technical=True,
        )
    )
    db.session.commit()
    world.private["contract"] = [c.id for c in contracts]

    from marketplace.jobs.models import JobRun
    from marketplace.notifications.models import Notification

    job = JobRun(kind="export", started_by_id=owner.id, message=mark("job", 0))
    note = Notification(
        user_id=owner.id, kind="join_request", params={"email": mark("notification", 0), "org": "x"}
    )
    db.session.add_all([job, note])
    db.session.commit()
    world.private["job"] = [job.id]
    world.private["notification"] = [note.id]
    world.ids_by_arg["listing_id"] = (
        world.private["achievement"] + world.private["demand"] + world.ids_by_arg["public_listing"]
    )
    world.ids_by_arg["contract_id"] = world.private["contract"]
    world.ids_by_arg["deal_id"] = world.private["deal"]
    world.ids_by_arg["job_id"] = world.private["job"]
    world.ids_by_arg["notification_id"] = world.private["notification"]
    _add_listing_extras(world, owner, buyer, achievements[0], public_demand)
    return world


def _add_listing_extras(world: World, owner: Any, buyer: Any, draft: Any, demand: Any) -> None:
    """Attachments and challenge applications, where the listings feature provides them."""
    try:
        from marketplace.listings.models import Attachment, ChallengeApplication
    except ImportError:  # feature not there yet
        return
    from marketplace.extensions import db

    demand.is_challenge = True
    demand.bounty = Decimal("100000.00")
    application = ChallengeApplication(
        demand_id=demand.id,
        org_id=owner.org_id,
        applicant_id=owner.id,
        summary="方案 " + _marker(world, "application", 0),
        team="团队",
        plan="计划",
    )
    db.session.add(application)
    db.session.flush()
    attachment = Attachment(
        listing_id=draft.id,
        uploaded_by_id=owner.id,
        original_name=_marker(world, "attachment", 0) + ".pdf",
        stored_name="0" * 32 + ".pdf",
        content_type="application/pdf",
        size_bytes=10,
    )
    db.session.add(attachment)
    db.session.commit()
    world.private["application"] = [application.id]
    world.private["attachment"] = [attachment.id]
    world.ids_by_arg["application_id"] = [application.id]
    world.ids_by_arg["attachment_id"] = [attachment.id]


def _marker(world: World, kind: str, n: int) -> str:
    marker = f"PRIVMARK{kind.upper()}{n}Z"
    world.markers[marker] = kind
    return marker


# -- discovering forms in rendered pages ------------------------------------------------------


class FormParser(HTMLParser):
    """Collect each form's method, action and field names."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (attributes.get("method") or "get").lower(),
                "action": attributes.get("action") or "",
                "fields": {},
            }
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = attributes.get("name")
            if name and name != "csrf_token":
                self._current["fields"].setdefault(name, attributes.get("type") or tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_in(html: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def links_in(html: str) -> set[str]:
    return {href for href in re.findall(r'href="(/[^"#]*)"', html) if not href.startswith("//")}
