"""Conflict-of-interest screening: which experts may not sit on a given evaluation, and why.

The rule (SPEC §6.4): an expert may not evaluate the work of their own unit, of an organisation
with which they declared a tie in the last three years, or when the applicant excluded them
(at most three exclusions, each with a reason). Removed experts sit on no panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.experts.models import Evaluation, Expert
from marketplace.experts.vocab import CONFLICT_REASONS

TIE_YEARS = 3


@dataclass(frozen=True)
class Conflict:
    code: str
    detail: str

    @property
    def label(self) -> str:
        return CONFLICT_REASONS.label(self.code)


def screened_orgs(evaluation: Evaluation) -> set[int]:
    """The evaluated organisation, plus the challenge owner for a challenge application."""
    orgs = {evaluation.org_id}
    if evaluation.application is not None:
        orgs.add(evaluation.application.demand.org_id)
    return orgs


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def conflicts(expert: Expert, evaluation: Evaluation, today: date | None = None) -> list[Conflict]:
    """Every reason ``expert`` may not sit on ``evaluation`` (empty: free to serve)."""
    today = today or date.today()
    orgs = screened_orgs(evaluation)
    found: list[Conflict] = []
    if expert.status == "removed":
        found.append(Conflict("not_available", ""))
    if expert.unit_org_id in orgs or expert.user.org_id in orgs:
        found.append(Conflict("own_unit", expert.unit.name))
    since = _years_before(today, TIE_YEARS)
    for tie in expert.ties:
        if tie.org_id in orgs and (tie.ended_on is None or tie.ended_on >= since):
            ended = tie.ended_on.isoformat() if tie.ended_on else ""
            period = f"{tie.started_on.isoformat()}–{ended}"
            found.append(Conflict("declared_tie", f"{tie.org.name}: {tie.relation} ({period})"))
    for exclusion in evaluation.exclusions:
        if exclusion.expert_id == expert.id:
            found.append(Conflict("excluded", exclusion.reason))
    return found
