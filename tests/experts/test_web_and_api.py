"""Expert library and evaluation pages and API: the journeys' steps and who may do what."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from marketplace.experts import evaluations
from marketplace.extensions import db
from tests.conftest import api_headers, login
from tests.experts.helpers import SCORES, make_expert, request_for
from tests.factories import AchievementFactory, UserFactory


@pytest.fixture
def world(app):
    admin = UserFactory(role="admin")
    owner = UserFactory(role="researcher")
    achievement = AchievementFactory(org=owner.org, title="低温等离子体废气处理装置")
    colleague = make_expert(admin, org=owner.org)
    first, second = make_expert(admin), make_expert(admin)
    evaluation = request_for(owner, achievement, panel_size=2)
    return {
        "admin": admin,
        "owner": owner,
        "achievement": achievement,
        "colleague": colleague,
        "first": first,
        "second": second,
        "evaluation": evaluation,
    }


def test_web_journey_request_panel_reviews_report_and_badge(client, world):
    owner, admin = world["owner"], world["admin"]
    login(client, owner)
    page = client.get(f"/achievements/{world['achievement'].id}").get_data(as_text=True)
    assert "/evaluations/new?achievement_id=" in page
    response = client.post(
        f"/evaluations/new?achievement_id={world['achievement'].id}",
        data={
            "purpose": "financing",
            "panel_size": "2",
            "note": "",
            "exclude_1": "0",
            "exclude_2": "0",
            "exclude_3": "0",
        },
    )
    assert response.status_code == 302
    client.post("/logout")

    login(client, admin)
    evaluation = world["evaluation"]
    page = client.get(f"/evaluations/{evaluation.id}").get_data(as_text=True)
    proposed = page.split('data-list="proposed"')[1].split("</ul>")[0]
    screened = page.split('data-list="screened"')[1].split("</ul>")[0]
    assert f'data-expert="{world["colleague"].id}"' not in proposed
    assert f'data-expert="{world["colleague"].id}"' in screened
    forced = client.post(
        f"/evaluations/{evaluation.id}/panel", data={"expert_ids": [str(world["colleague"].id)]}
    )
    assert forced.status_code == 422
    assert 'data-error="expert_ids"' in forced.get_data(as_text=True)
    formed = client.post(
        f"/evaluations/{evaluation.id}/panel",
        data={"expert_ids": [str(world["first"].id), str(world["second"].id)]},
    )
    assert formed.status_code == 302
    client.post("/logout")

    for expert in (world["first"], world["second"]):
        login(client, expert.user)
        page = client.get(f"/evaluations/{evaluation.id}").get_data(as_text=True)
        assert 'data-section="review-form"' in page
        assert (
            client.post(
                f"/evaluations/{evaluation.id}/review",
                data={**{k: str(v) for k, v in SCORES.items()}, "comment": "具备转化条件。"},
            ).status_code
            == 302
        )
        client.post("/logout")

    login(client, owner)
    page = client.get(f"/evaluations/{evaluation.id}").get_data(as_text=True)
    assert 'data-section="report"' in page and "具备转化条件。" in page
    detail = client.get(f"/achievements/{world['achievement'].id}").get_data(as_text=True)
    assert 'data-testid="evaluation-badge"' in detail
    assert 'data-testid="evaluation-report"' in detail
    client.post("/logout")
    public = client.get(f"/achievements/{world['achievement'].id}").get_data(as_text=True)
    assert 'data-testid="evaluation-badge"' in public
    assert 'data-testid="evaluation-report"' not in public  # the report is not public


def test_review_form_errors_are_shown_not_500(client, world):
    admin = world["admin"]
    evaluations.form_panel(admin, world["evaluation"].id, [world["first"].id, world["second"].id])
    login(client, world["first"].user)
    response = client.post(
        f"/evaluations/{world['evaluation'].id}/review",
        data={**{k: str(v) for k, v in SCORES.items()}, "maturity": "101", "comment": ""},
    )
    assert response.status_code == 422


def test_api_flow_and_conflict_refusal(client, world):
    admin_h = api_headers(client, world["admin"])
    owner_h = api_headers(client, world["owner"])
    achievement = AchievementFactory(org=world["owner"].org)
    created = client.post(
        "/api/v1/evaluations",
        headers=owner_h,
        json={
            "achievement_id": achievement.id,
            "purpose": "transfer",
            "panel_size": 1,
            "exclusions": [{"expert_id": world["second"].id, "reason": "曾有合作纠纷"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    evaluation_id = created.get_json()["id"]
    panel = client.get(f"/api/v1/evaluations/{evaluation_id}/panel", headers=admin_h).get_json()
    assert world["colleague"].id not in [c["expert_id"] for c in panel["proposed"]]
    screened = {c["expert_id"]: [x["code"] for x in c["conflicts"]] for c in panel["screened_out"]}
    assert screened[world["colleague"].id] == ["own_unit"]
    assert screened[world["second"].id] == ["excluded"]
    refused = client.post(
        f"/api/v1/evaluations/{evaluation_id}/panel",
        headers=admin_h,
        json={"expert_ids": [world["colleague"].id]},
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "conflict_of_interest"
    assert (
        client.post(
            f"/api/v1/evaluations/{evaluation_id}/panel",
            headers=admin_h,
            json={"expert_ids": [world["first"].id]},
        ).status_code
        == 200
    )
    expert_h = api_headers(client, world["first"].user)
    review = client.post(
        f"/api/v1/evaluations/{evaluation_id}/reviews",
        headers=expert_h,
        json={**SCORES, "comment": "同意"},
    )
    assert review.status_code == 201
    body = client.get(f"/api/v1/evaluations/{evaluation_id}", headers=owner_h).get_json()
    assert body["status"] == "completed" and body["report"]["overall"] == 80.0
    bad = client.post(
        f"/api/v1/evaluations/{evaluation_id}/reviews",
        headers=expert_h,
        json={**SCORES, "maturity": "eighty", "comment": "x"},
    )
    assert bad.status_code == 422 and "maturity" in bad.get_json()["error"]["fields"]


def test_api_expert_library_for_admins(client, world):
    admin_h = api_headers(client, world["admin"])
    listed = client.get("/api/v1/experts?field=new_materials", headers=admin_h).get_json()
    assert listed["total"] == 3
    user = UserFactory(role="researcher")
    created = client.post(
        "/api/v1/experts",
        headers=admin_h,
        json={"user_id": user.id, "title": "associate", "fields": ["agriculture"], "tier": "major"},
    )
    assert created.status_code == 201 and created.get_json()["fields"] == ["agriculture"]
    assert client.get("/api/v1/experts?field=agriculture", headers=admin_h).get_json()["total"] == 1
    duplicate = client.post(
        "/api/v1/experts",
        headers=admin_h,
        json={"user_id": user.id, "title": "associate", "fields": ["agriculture"]},
    )
    assert duplicate.status_code == 422


ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin", "owner", "panel", "expert")


def _actor(role, world):
    if role == "owner":
        return world["owner"]
    if role == "panel":
        return world["first"].user
    if role == "expert":
        return world["second"].user  # in the library, not on this panel
    return None if role == "anonymous" else UserFactory(role=role)


# (path, expected per role in ROLES order); pages send the anonymous to sign-in (302).
PAGES = [
    ("/experts", (302, 403, 403, 403, 200, 403, 403, 403)),
    ("/experts/new", (302, 403, 403, 403, 200, 403, 403, 403)),
    ("/experts/{first}", (302, 404, 404, 404, 200, 404, 200, 404)),
    ("/experts/{first}/edit", (302, 403, 403, 403, 200, 403, 403, 403)),
    ("/evaluations", (302, 200, 200, 200, 200, 200, 200, 200)),
    ("/evaluations/{evaluation}", (302, 404, 404, 404, 200, 200, 200, 404)),
]
API = [
    ("GET", "/api/v1/experts", (401, 403, 403, 403, 200, 403, 403, 403)),
    ("GET", "/api/v1/evaluations/{evaluation}", (401, 404, 404, 404, 200, 200, 200, 404)),
    ("GET", "/api/v1/evaluations/{evaluation}/panel", (401, 403, 403, 403, 200, 403, 403, 403)),
    ("POST", "/api/v1/evaluations/{evaluation}/panel", (401, 403, 403, 403, 422, 403, 403, 403)),
    ("POST", "/api/v1/evaluations/{evaluation}/reviews", (401, 404, 404, 404, 403, 403, 201, 404)),
]


def _panel(world):
    evaluations.form_panel(world["admin"], world["evaluation"].id, [world["first"].id])
    db.session.commit()


@pytest.mark.parametrize("path,expected", PAGES)
@pytest.mark.parametrize("index,role", list(enumerate(ROLES)))
def test_page_matrix(client, world, index, role, path, expected):
    _panel(world)
    actor = _actor(role, world)
    if actor is not None:
        login(client, actor)
    url = path.format(first=world["first"].id, evaluation=world["evaluation"].id)
    assert client.get(url).status_code == expected[index], (role, url)


@pytest.mark.parametrize("method,path,expected", API)
@pytest.mark.parametrize("index,role", list(enumerate(ROLES)))
def test_api_matrix(client, world, index, role, method, path, expected):
    _panel(world)
    actor = _actor(role, world)
    headers = api_headers(client, actor) if actor is not None else {}
    url = path.format(evaluation=world["evaluation"].id)
    body = (
        {"expert_ids": [world["colleague"].id]}
        if url.endswith("/panel")
        else {**SCORES, "comment": "意见"}
    )
    response = client.open(
        url, method=method, headers=headers, json=body if method == "POST" else None
    )
    assert response.status_code == expected[index], (role, url, response.get_json())


def test_report_pdf_holds_the_title_scores_and_comments(client, world):
    evaluation = world["evaluation"]
    evaluations.form_panel(world["admin"], evaluation.id, [world["first"].id, world["second"].id])
    login(client, world["owner"])
    assert client.get(f"/evaluations/{evaluation.id}/report.pdf").status_code == 404
    for expert, comment in (
        (world["first"], "工艺成熟，建议中试放大。"),
        (world["second"], "市场空间较大。"),
    ):
        evaluations.submit_review(expert.user, evaluation.id, SCORES, comment)
    response = client.get(f"/evaluations/{evaluation.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "低温等离子体废气处理装置" in text
    assert "工艺成熟，建议中试放大。" in text and "80.0" in text
    client.post("/logout")
    login(client, UserFactory(role="researcher"))
    assert client.get(f"/evaluations/{evaluation.id}/report.pdf").status_code == 404
