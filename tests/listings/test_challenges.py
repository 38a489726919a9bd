"""Challenges (揭榜挂帅): applying, deciding with reasons, what applicants see."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import Conflict, InvalidTransition, ValidationError
from marketplace.extensions import db
from marketplace.listings import challenges
from marketplace.outbox import OutboxMessage
from tests.factories import DemandFactory
from tests.listings.helpers import EXE, PDF


@pytest.fixture
def challenge(users):
    return DemandFactory(
        org=users["enterprise"].org,
        is_challenge=True,
        bounty=2000000,
        applications_open_on=date.today() - timedelta(days=1),
        applications_close_on=date.today() + timedelta(days=30),
    )


def _proposal(**kw):
    data = {
        "summary": "基于数字孪生的方案",
        "team": "教授一名，博士三名",
        "plan": "十二个月完成样机",
        "requested_amount": "1500000",
    }
    data.update(kw)
    return challenges.ApplicationInput(**data)


def test_apply_decide_and_applicant_sees_status_reason_and_counts(
    client, users, make_user, login_as, challenge
):
    researcher, enterprise = users["researcher"], users["enterprise"]
    application = challenges.apply_to_challenge(researcher, challenge.id, _proposal())
    other = make_user("researcher")
    challenges.apply_to_challenge(other, challenge.id, _proposal())
    with pytest.raises(Conflict):
        challenges.apply_to_challenge(researcher, challenge.id, _proposal())
    challenges.decide_application(enterprise, application.id, "shortlist", "strong_team")
    with pytest.raises(InvalidTransition):
        challenges.decide_application(enterprise, application.id, "shortlist", "strong_team")
    counts = challenges.challenge_counts(challenge.id)
    assert (counts.applications, counts.shortlisted) == (2, 1)
    challenges.decide_application(enterprise, application.id, "decline", "over_budget", "预算超出")
    kinds = [
        p["kind"]
        for p in db.session.execute(
            sa.select(OutboxMessage.payload).where(OutboxMessage.topic == "notify")
        ).scalars()
    ]
    assert kinds.count("challenge_application") == 2 and kinds.count("application_status") == 2

    login_as(researcher)
    client.get("/lang/en")  # the assertions below read the English messages
    page = client.get(f"/demands/{challenge.id}").get_data(as_text=True)
    assert "Declined" in page and "Requested amount exceeds the bounty" in page
    assert "预算超出" in page
    assert "2 applications, 0 shortlisted" in page
    mine = client.get("/my/applications").get_data(as_text=True)
    assert "Declined" in mine and challenge.title in mine
    api = client.get("/api/v1/applications").json["items"][0]
    assert api["status"] == "declined" and api["reason_code"] == "over_budget"


def test_outsiders_cannot_decide(users, make_user, challenge):
    application = challenges.apply_to_challenge(users["researcher"], challenge.id, _proposal())
    for actor in (make_user("enterprise"), make_user("researcher"), users["broker"]):
        with pytest.raises(Exception) as error:
            challenges.decide_application(actor, application.id, "accept", "best_fit")
        assert getattr(error.value, "status", None) == 404
    # The applicant cannot accept their own application either.
    with pytest.raises(Exception) as error:
        challenges.decide_application(users["researcher"], application.id, "accept", "best_fit")
    assert getattr(error.value, "status", None) == 404
    assert application.status == "submitted"


def test_bad_applications(users, challenge):
    with pytest.raises(ValidationError) as error:
        challenges.apply_to_challenge(
            users["researcher"], challenge.id, _proposal(summary="", requested_amount="NaN")
        )
    assert set(error.value.fields) == {"summary", "requested_amount"}
    with pytest.raises(ValidationError) as error:
        challenges.apply_to_challenge(
            users["researcher"], challenge.id, _proposal(requested_amount="99000000")
        )
    assert "requested_amount" in error.value.fields
    application = challenges.apply_to_challenge(users["researcher"], challenge.id, _proposal())
    with pytest.raises(ValidationError) as error:
        challenges.decide_application(users["enterprise"], application.id, "crown", "because")
    assert set(error.value.fields) == {"decision", "reason_code"}


def test_closed_window_refuses_applications(users, challenge):
    challenge.applications_close_on = date.today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        challenges.apply_to_challenge(users["researcher"], challenge.id, _proposal())


def test_apply_through_the_web_with_attachment(client, users, login_as, challenge):
    login_as(users["researcher"])
    client.get("/lang/en")  # the assertions below read the English messages
    data = {
        "summary": "方案",
        "team": "团队",
        "plan": "计划",
        "requested_amount": "100000",
        "attachment": (io.BytesIO(EXE), "plan.pdf"),
    }
    response = client.post(
        f"/demands/{challenge.id}/apply", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Programs cannot be uploaded" in response.get_data(as_text=True)
    assert challenges.challenge_counts(challenge.id).applications == 0
    data["attachment"] = (io.BytesIO(PDF), "plan.pdf")
    response = client.post(
        f"/demands/{challenge.id}/apply", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    application = challenges.own_application(users["researcher"], challenge.id)
    files = challenges.application_attachments(application)
    assert len(files) == 1
    # The proposal file is private to the applicant and the challenge owner.
    assert client.get(f"/attachments/{files[0].id}").status_code == 200
    client.post("/logout")
    assert client.get(f"/attachments/{files[0].id}").status_code == 404
