"""Experts and evaluations made through the services, as users make them."""

from __future__ import annotations

from typing import Any

from marketplace.experts import evaluations, services
from marketplace.experts.models import Evaluation, Expert
from tests.factories import AchievementFactory, UserFactory

SCORES = {
    "maturity": 80,
    "innovation": 90,
    "advancement": 70,
    "economic_value": 60,
    "potential": 100,
}


def make_expert(
    admin: Any, *, org: Any = None, fields: tuple[str, ...] = ("new_materials",), **kwargs: Any
) -> Expert:
    user = UserFactory(role="researcher", **({"org": org} if org is not None else {}))
    return services.create_expert(
        admin, services.ExpertInput(user_id=user.id, title="senior", fields=list(fields), **kwargs)
    )


def request_for(owner: Any, achievement: Any = None, **kwargs: Any) -> Evaluation:
    achievement = achievement or AchievementFactory(org=owner.org)
    return evaluations.request_evaluation(
        owner,
        evaluations.EvaluationRequest(purpose="transfer", achievement_id=achievement.id, **kwargs),
    )
