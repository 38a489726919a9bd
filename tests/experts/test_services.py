"""Expert library and evaluation rules, through the services (no HTTP)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.errors import Conflict, NotFound, PermissionDenied, ValidationError
from marketplace.experts import evaluations, queries, services
from marketplace.experts.models import ExpertEvent, Review
from marketplace.extensions import db
from marketplace.listings.models import ChallengeApplication
from tests.experts.helpers import SCORES, make_expert, request_for
from tests.factories import (
    AchievementFactory,
    DemandFactory,
    OrganisationFactory,
    UserFactory,
)


@pytest.fixture
def admin(app):
    return UserFactory(role="admin")


@pytest.fixture
def owner(app):
    return UserFactory(role="researcher")


def test_only_admins_add_experts_and_each_user_once(app, admin, owner):
    with pytest.raises(PermissionDenied):
        services.create_expert(
            owner, services.ExpertInput(user_id=owner.id, title="senior", fields=["new_materials"])
        )
    expert = make_expert(admin)
    assert expert.unit_org_id == expert.user.org_id and expert.status == "active"
    with pytest.raises(ValidationError) as error:
        services.create_expert(
            admin,
            services.ExpertInput(user_id=expert.user_id, title="senior", fields=["new_materials"]),
        )
    assert "user_id" in error.value.fields
    with pytest.raises(ValidationError) as error:
        services.create_expert(
            admin,
            services.ExpertInput(user_id=UserFactory().id, title="emperor", fields=["alchemy"]),
        )
    assert {"title", "fields"} <= set(error.value.fields)


def test_screening_own_unit_recent_ties_and_exclusions(app, admin, owner):
    colleague = make_expert(admin, org=owner.org)
    tied = make_expert(admin)
    old_tie = make_expert(admin)
    excluded = make_expert(admin)
    free = make_expert(admin)
    services.declare_tie(
        tied.user,
        tied.id,
        owner.org_id,
        "兼职教授",
        date.today() - timedelta(days=2000),
        date.today() - timedelta(days=400),
    )
    services.declare_tie(
        admin,
        old_tie.id,
        owner.org_id,
        "顾问",
        date.today() - timedelta(days=3000),
        date.today() - timedelta(days=1200),
    )
    evaluation = request_for(owner, exclusions=[(excluded.id, "学术观点长期对立")])

    proposed, screened = evaluations.candidates(admin, evaluation.id)
    assert {c.expert.id for c in proposed} == {old_tie.id, free.id}
    reasons = {c.expert.id: {x.code for x in c.conflicts} for c in screened}
    assert reasons == {
        colleague.id: {"own_unit"},
        tied.id: {"declared_tie"},
        excluded.id: {"excluded"},
    }
    assert any("学术观点长期对立" in x.detail for c in screened for x in c.conflicts)

    for conflicted in (colleague, tied, excluded):
        with pytest.raises(ValidationError) as error:
            evaluations.form_panel(admin, evaluation.id, [free.id, conflicted.id])
        assert error.value.code == "conflict_of_interest"
        assert conflicted.user.display_name in error.value.fields["expert_ids"]
    db.session.refresh(evaluation)
    assert evaluation.members == [] and evaluation.status == "requested"


def test_at_most_three_exclusions_each_with_a_reason(app, admin, owner):
    experts = [make_expert(admin) for _ in range(4)]
    with pytest.raises(ValidationError):
        request_for(owner, exclusions=[(e.id, "理由") for e in experts])
    with pytest.raises(ValidationError):
        request_for(owner, exclusions=[(experts[0].id, "  ")])


def test_only_the_owner_organisation_or_an_admin_requests(app, admin, owner):
    achievement = AchievementFactory(org=owner.org)
    stranger = UserFactory(role="researcher")
    with pytest.raises(NotFound):
        request_for(stranger, achievement)
    assert request_for(admin, achievement).org_id == owner.org_id


def test_panel_reviews_complete_the_evaluation_and_the_report_averages(app, admin, owner):
    first, second = make_expert(admin), make_expert(admin)
    evaluation = request_for(owner, panel_size=2)
    evaluations.form_panel(admin, evaluation.id, [first.id, second.id])
    with pytest.raises(PermissionDenied):
        evaluations.submit_review(owner, evaluation.id, SCORES, "不应由申请方评审")
    with pytest.raises(ValidationError) as error:
        evaluations.submit_review(first.user, evaluation.id, {**SCORES, "innovation": 101}, "")
    assert {"innovation", "comment"} <= set(error.value.fields)
    evaluations.submit_review(first.user, evaluation.id, SCORES, "技术路线清晰。")
    assert evaluation.status == "reviewing"
    with pytest.raises(Conflict):
        evaluations.submit_review(first.user, evaluation.id, SCORES, "再评一次")
    evaluations.submit_review(
        second.user, evaluation.id, {code: 50 for code in SCORES}, "市场前景待验证。"
    )
    db.session.refresh(evaluation)
    assert evaluation.status == "completed"
    report = evaluations.report(evaluation)
    assert report.averages == {
        "maturity": 65.0,
        "innovation": 70.0,
        "advancement": 60.0,
        "economic_value": 55.0,
        "potential": 75.0,
    }
    assert report.overall == 65.0
    assert evaluations.badge_for(evaluation.achievement_id).id == evaluation.id


def test_experts_see_only_the_panels_they_sit_on(app, admin, owner):
    seated, other = make_expert(admin), make_expert(admin)
    evaluation = request_for(owner, panel_size=1)
    evaluations.form_panel(admin, evaluation.id, [seated.id])
    assert evaluations.get_evaluation(seated.user, evaluation.id).id == evaluation.id
    with pytest.raises(NotFound):
        evaluations.get_evaluation(other.user, evaluation.id)
    visible = db.session.execute(queries.evaluations_for(other.user)).scalars().all()
    assert evaluation not in visible


def _rated_reviews(admin, expert, ratings):
    for rating in ratings:
        owner = UserFactory(role="researcher")
        evaluation = request_for(owner, panel_size=1)
        evaluations.form_panel(admin, evaluation.id, [expert.id])
        review = evaluations.submit_review(expert.user, evaluation.id, SCORES, "意见")
        evaluations.rate_review(admin, review.id, rating)


def test_standing_rule_promotes_and_removes_with_an_explanation(app, admin):
    excellent, poor, few = make_expert(admin), make_expert(admin), make_expert(admin)
    _rated_reviews(admin, excellent, [90 + n % 10 for n in range(10)])
    _rated_reviews(admin, poor, [70, 50, 40])
    _rated_reviews(admin, few, [95] * 9)
    changes = {expert_id: status for expert_id, status, _ in services.apply_standing_rule()}
    assert changes == {excellent.id: "senior", poor.id: "removed"}
    assert services.apply_standing_rule() == []  # nothing new: idempotent
    event = db.session.execute(
        sa.select(ExpertEvent).where(
            ExpertEvent.expert_id == poor.id, ExpertEvent.kind == "standing"
        )
    ).scalar_one()
    assert event.detail == {"reviews": 3, "lowest": 40, "average": 53.3}
    assert "53.3" in queries.explain(event)
    # A removed expert is proposed for no panel.
    evaluation = request_for(UserFactory(role="researcher"))
    proposed, _screened = evaluations.candidates(admin, evaluation.id)
    assert poor.id not in {c.expert.id for c in proposed}


def test_ratings_older_than_two_years_do_not_count(app, admin):
    expert = make_expert(admin)
    _rated_reviews(admin, expert, [30])
    db.session.execute(sa.update(Review).values(rated_at=utcnow() - timedelta(days=800)))
    db.session.commit()
    assert services.apply_standing_rule() == []


def test_a_challenge_application_is_screened_against_both_organisations(app, admin):
    challenge_owner = UserFactory(role="enterprise")
    team = OrganisationFactory(kind="university")
    demand = DemandFactory(org=challenge_owner.org, is_challenge=True)
    application = ChallengeApplication(
        demand_id=demand.id, org_id=team.id, summary="方案", team="团队", plan="计划"
    )
    db.session.add(application)
    db.session.commit()
    at_owner, at_team, free = (
        make_expert(admin, org=challenge_owner.org),
        make_expert(admin, org=team),
        make_expert(admin),
    )
    evaluation = evaluations.request_evaluation(
        challenge_owner,
        evaluations.EvaluationRequest(purpose="challenge", application_id=application.id),
    )
    proposed, screened = evaluations.candidates(admin, evaluation.id)
    assert {c.expert.id for c in proposed} == {free.id}
    assert {c.expert.id for c in screened} == {at_owner.id, at_team.id}
