"""Who may read the rankings, and the ranked lists for them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_role
from marketplace.errors import ValidationError
from marketplace.rankings.queries import SUBJECTS, RankedEntry, Subject, ranking
from marketplace.stats.services import validate_scope


def can_view_rankings(actor: User) -> bool:
    """Rankings are the bureau's working figures until it publishes them: admins only."""
    return is_admin(actor)


def ranking_for(
    actor: User, subject: str, year: Any, limit: int | None = None
) -> tuple[int, list[RankedEntry]]:
    """The ranked brokers or agencies of a year (user input, default this year) for an admin.

    PermissionDenied for anyone else; ValidationError naming the field for a bad year or subject.
    """
    require_role(actor, "admin")
    if subject not in SUBJECTS:
        raise ValidationError(fields={"subject": _("Choose brokers or agencies.")})
    year_value, _region = validate_scope(year, None)
    return year_value, ranking(subject_code(subject), year_value, limit)


def subject_code(subject: str) -> Subject:
    """``brokers`` or ``agencies`` (anything else was refused before)."""
    return "brokers" if subject == "brokers" else "agencies"
