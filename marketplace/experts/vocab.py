"""Vocabularies of the expert library and of evaluations (SPEC §6.4)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.vocab import Vocabulary

EXPERT_TITLES = Vocabulary(
    "expert_title",
    [
        ("senior", _l("Senior title (正高级)")),
        ("associate", _l("Associate senior title (副高级)")),
        ("intermediate", _l("Intermediate title (中级)")),
        ("other", _l("Other")),
    ],
)

EXPERT_TIERS = Vocabulary(
    "expert_tier",
    [
        ("general", _l("General (一般)")),
        ("major", _l("Major projects (重大)")),
    ],
)

EXPERT_STATUSES = Vocabulary(
    "expert_status",
    [
        ("active", _l("Active")),
        ("senior", _l("Senior expert (资深)")),
        ("removed", _l("Removed")),
    ],
)

EVALUATION_PURPOSES = Vocabulary(
    "evaluation_purpose",
    [
        ("transfer", _l("Technology transfer (成果转化)")),
        ("financing", _l("Investment and financing (投融资)")),
        ("award", _l("Science and technology award (科技奖励)")),
        ("challenge", _l("Challenge application (揭榜挂帅)")),
        ("other", _l("Other")),
    ],
)

EVALUATION_STATUSES = Vocabulary(
    "evaluation_status",
    [
        ("requested", _l("Requested")),
        ("reviewing", _l("Panel reviewing")),
        ("completed", _l("Completed")),
        ("cancelled", _l("Cancelled")),
    ],
)

# The five dimensions every expert scores (0–100), in the order of the national guideline.
DIMENSIONS = Vocabulary(
    "evaluation_dimension",
    [
        ("maturity", _l("Technology maturity (技术成熟度)")),
        ("innovation", _l("Innovation (创新度)")),
        ("advancement", _l("Advancement (先进度)")),
        ("economic_value", _l("Economic value (经济价值)")),
        ("potential", _l("Transfer potential (转化推广潜力)")),
    ],
)

CONFLICT_REASONS = Vocabulary(
    "conflict_reason",
    [
        ("own_unit", _l("Works at the organisation being evaluated")),
        ("declared_tie", _l("Declared a tie with the organisation within three years")),
        ("excluded", _l("Excluded by the applicant")),
        ("not_available", _l("Removed from the expert library")),
    ],
)

EXPERT_EVENT_KINDS = Vocabulary(
    "expert_event",
    [
        ("created", _l("Added to the library")),
        ("edited", _l("Entry edited")),
        ("tie", _l("Tie declared")),
        ("tier", _l("Tier changed")),
        ("status", _l("Status changed")),
        ("standing", _l("Status changed by the rating rule")),
    ],
)

EVALUATION_EVENT_KINDS = Vocabulary(
    "evaluation_event",
    [
        ("requested", _l("Requested")),
        ("panel", _l("Seated on the panel")),
        ("review", _l("Review submitted")),
        ("rated", _l("Review rated")),
        ("completed", _l("Completed")),
    ],
)
