"""Who may see and do what in the expert library and evaluations (views, API, templates ask)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, same_org
from marketplace.experts.models import Evaluation, Expert


def _signed_in(user: User) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_manage_experts(user: User) -> bool:
    """Curating the library (adding experts, titles, tiers, removals) is the bureau's job."""
    return is_admin(user)


def can_view_expert(user: User, expert: Expert) -> bool:
    return is_admin(user) or (_signed_in(user) and expert.user_id == user.id)


def can_declare_ties(user: User, expert: Expert) -> bool:
    return can_view_expert(user, expert)


def sits_on_panel(user: User, evaluation: Evaluation) -> bool:
    return _signed_in(user) and any(
        member.expert.user_id == user.id for member in evaluation.members
    )


def is_requesting_side(user: User, evaluation: Evaluation) -> bool:
    """The evaluated organisation, or for a challenge application the challenge's owner."""
    if same_org(user, evaluation.org_id):
        return True
    application = evaluation.application
    return application is not None and same_org(user, application.demand.org_id)


def can_view_evaluation(user: User, evaluation: Evaluation) -> bool:
    return is_admin(user) or is_requesting_side(user, evaluation) or sits_on_panel(user, evaluation)


def can_form_panel(user: User, evaluation: Evaluation) -> bool:
    return is_admin(user) and evaluation.status in ("requested", "reviewing")


def can_review(user: User, evaluation: Evaluation) -> bool:
    """A panel member who has not reviewed yet, while the panel is at work."""
    if evaluation.status != "reviewing" or not sits_on_panel(user, evaluation):
        return False
    return not any(review.expert.user_id == user.id for review in evaluation.reviews)


def can_rate_reviews(user: User, evaluation: Evaluation) -> bool:
    return is_admin(user)


def can_read_report(user: User, evaluation: Evaluation) -> bool:
    return evaluation.status == "completed" and can_view_evaluation(user, evaluation)
