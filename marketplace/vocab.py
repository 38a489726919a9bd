"""The coded vocabularies of SPEC §2 with translatable labels, and the GB/T 2260 region list."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    code: str
    label: object  # a lazy string, rendered in the request's locale


class Vocabulary:
    """An ordered set of stable codes, each with a translated label."""

    def __init__(self, name: str, terms: list[tuple[str, object]]) -> None:
        self.name = name
        self.terms = [Term(code, label) for code, label in terms]
        self._by_code = {term.code: term for term in self.terms}

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def label(self, code: str | None, default: str = "") -> str:
        term = self._by_code.get(code) if code is not None else None
        return str(term.label) if term else (default or (code or ""))

    def choices(self) -> list[tuple[str, str]]:
        return [(term.code, str(term.label)) for term in self.terms]


ROLES = Vocabulary(
    "role",
    [
        ("researcher", _l("Researcher")),
        ("enterprise", _l("Enterprise user")),
        ("broker", _l("Technology broker")),
        ("admin", _l("Administrator")),
    ],
)

ORG_KINDS = Vocabulary(
    "org_kind",
    [
        ("enterprise", _l("Enterprise")),
        ("university", _l("University")),
        ("institute", _l("Research institute")),
        ("agency", _l("Technology transfer agency")),
        ("government", _l("Government")),
    ],
)

# Which organisation kinds a self-registering user of each role may belong to.
ROLE_ORG_KINDS = {
    "researcher": ("university", "institute"),
    "enterprise": ("enterprise",),
    "broker": ("agency",),
    "admin": ("government", "agency"),
}

FIELDS = Vocabulary(
    "field",
    [
        ("electronic_info", _l("Electronic information")),
        ("aerospace", _l("Aerospace")),
        ("advanced_manufacturing", _l("Advanced manufacturing")),
        ("biomedicine", _l("Biology, medicine and medical devices")),
        ("new_materials", _l("New materials and their applications")),
        ("new_energy", _l("New energy and energy efficiency")),
        ("environment", _l("Environmental protection and resource use")),
        ("nuclear", _l("Nuclear technology applications")),
        ("agriculture", _l("Agriculture")),
        ("transport", _l("Modern transport")),
        ("urban_social", _l("Urban construction and social development")),
    ],
)

MATURITY_STAGES = Vocabulary(
    "maturity_stage",
    [
        ("research", _l("Research")),
        ("lab", _l("Lab trial")),
        ("pilot", _l("Pilot")),
        ("industrial", _l("Industrialisation")),
    ],
)


def maturity_stage(level: int | None) -> str | None:
    """The stage code of a TRL level (研发 1–3, 小试 4–5, 中试 6–7, 产业化 8–9)."""
    if level is None:
        return None
    if level <= 3:
        return "research"
    if level <= 5:
        return "lab"
    if level <= 7:
        return "pilot"
    return "industrial"


MATURITY_LEVELS = tuple(range(1, 10))


def maturity_label(level: int | None) -> str:
    if level is None:
        return str(_l("Unclassified"))
    return f"TRL {level} · {MATURITY_STAGES.label(maturity_stage(level))}"


IP_TYPES = Vocabulary(
    "ip_type",
    [
        ("invention_patent", _l("Invention patent")),
        ("utility_model", _l("Utility model")),
        ("design", _l("Design patent")),
        ("software", _l("Software copyright")),
        ("ic_layout", _l("IC layout design")),
        ("plant_variety", _l("Plant variety")),
        ("trade_secret", _l("Trade secret")),
        ("none", _l("None")),
    ],
)

MODES = Vocabulary(
    "mode",
    [
        ("transfer", _l("Transfer")),
        ("license", _l("Licence")),
        ("equity", _l("Equity investment")),
        ("joint_development", _l("Joint development")),
        ("commissioned_development", _l("Commissioned development")),
        ("service", _l("Technical service or consulting")),
    ],
)

LISTING_STATUSES = Vocabulary(
    "listing_status",
    [
        ("draft", _l("Draft")),
        ("pending", _l("Pending review")),
        ("published", _l("Published")),
        ("rejected", _l("Rejected")),
        ("closed", _l("Closed")),
    ],
)

# A challenge application's state (listings); notifications name it too.
APPLICATION_STATUSES = Vocabulary(
    "application_status",
    [
        ("submitted", _l("Submitted")),
        ("shortlisted", _l("Shortlisted")),
        ("accepted", _l("Accepted")),
        ("declined", _l("Declined")),
        ("withdrawn", _l("Withdrawn")),
    ],
)

DEAL_STAGES = Vocabulary(
    "deal_stage",
    [
        ("suggested", _l("Suggested")),
        ("claimed", _l("Claimed")),
        ("contacting", _l("Contacting")),
        ("negotiating", _l("Negotiating")),
        ("signed", _l("Signed")),
        ("failed", _l("Failed")),
    ],
)

DEAL_FAILURE_REASONS = Vocabulary(
    "deal_failure_reason",
    [
        ("price", _l("Price could not be agreed")),
        ("technical_fit", _l("Technology does not fit")),
        ("maturity", _l("Technology not mature enough")),
        ("ip_issue", _l("Intellectual property problem")),
        ("no_response", _l("A party stopped responding")),
        ("buyer_withdrew", _l("Buyer withdrew")),
        ("seller_withdrew", _l("Seller withdrew")),
        ("other", _l("Other")),
    ],
)

CONTRACT_TYPES = Vocabulary(
    "contract_type",
    [
        ("development", _l("Technology development")),
        ("transfer", _l("Technology transfer")),
        ("license", _l("Technology licensing")),
        ("consulting", _l("Technology consulting")),
        ("service", _l("Technology service")),
    ],
)

CONTRACT_SUBTYPES: dict[str, Vocabulary] = {
    "development": Vocabulary(
        "development_subtype",
        [
            ("commissioned", _l("Commissioned development")),
            ("cooperative", _l("Cooperative development")),
        ],
    ),
    "transfer": Vocabulary(
        "transfer_subtype",
        [
            ("patent", _l("Patent right transfer")),
            ("patent_application", _l("Patent application right transfer")),
            ("trade_secret", _l("Trade secret transfer")),
            ("software", _l("Software copyright transfer")),
            ("ic_layout", _l("IC layout design transfer")),
            ("plant_variety", _l("Plant variety right transfer")),
            ("other", _l("Other transfer")),
        ],
    ),
    "license": Vocabulary(
        "license_subtype",
        [
            ("patent", _l("Patent licence")),
            ("trade_secret", _l("Trade secret licence")),
            ("other", _l("Other licence")),
        ],
    ),
    "consulting": Vocabulary("consulting_subtype", []),
    "service": Vocabulary(
        "service_subtype",
        [
            ("service", _l("Technical service")),
            ("training", _l("Technical training")),
            ("intermediary", _l("Technical intermediary")),
        ],
    ),
}

CONTRACT_STATUSES = Vocabulary(
    "contract_status",
    [
        ("draft", _l("Draft")),
        ("submitted", _l("Submitted")),
        ("registered", _l("Registered")),
        ("rejected", _l("Rejected")),
        ("void", _l("Void")),
    ],
)


# -- Regions (GB/T 2260, province and prefecture level; codes are facts, names are Chinese) ----
# The list is the current one (莱芜 merged into 济南 in 2019; Tibet's and Xinjiang's 地区 became
# cities), and keeps each abolished code with its successor, so contracts registered under an
# old code still read as the place they named.


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # "province" or "city"
    parent: str | None
    successor: str | None = None  # the code that replaced an abolished one
    abolished: int | None = None  # the year it was abolished

    @property
    def current(self) -> bool:
        return self.abolished is None

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@cache
def regions() -> dict[str, Region]:
    """Every known region by code, provinces first in code order."""
    text = resources.files("marketplace.data").joinpath("regions.csv").read_text(encoding="utf-8")
    result: dict[str, Region] = {}
    for row in csv.DictReader(text.splitlines()):
        result[row["code"]] = Region(
            row["code"],
            row["name"],
            row["level"],
            row["parent"] or None,
            row.get("successor") or None,
            int(row["abolished"]) if row.get("abolished") else None,
        )
    return result


def is_region(code: str | None) -> bool:
    """A current region code: what new organisations, listings and filters may use."""
    region = regions().get(code) if code is not None else None
    return region is not None and region.current


def is_known_region(code: str | None) -> bool:
    """Current or abolished: what statistics over past years may be scoped to."""
    return code is not None and code in regions()


def region_name(code: str | None) -> str:
    """``浙江省 温州市`` for a city, ``浙江省`` for a province, the raw code if unknown."""
    if not code:
        return ""
    table = regions()
    region = table.get(code)
    if region is None:
        return code
    name = region.name
    if region.parent and region.parent in table:
        name = f"{table[region.parent].name} {region.name}"
    if region.abolished is not None:
        successor = table.get(region.successor or "")
        return str(
            _l(
                "%(name)s (until %(year)s, now %(successor)s)",
                name=name,
                year=region.abolished,
                successor=successor.name if successor else "—",
            )
        )
    return name


def province_of(code: str | None) -> str | None:
    if not code:
        return None
    return code[:2] + "0000"


def region_choices() -> list[tuple[str, str]]:
    """Choices for a select: every province followed by its cities, names indented."""
    choices: list[tuple[str, str]] = []
    for region in regions().values():
        if not region.current:
            continue
        label = region.name if region.level == "province" else f"— {region.name}"
        choices.append((region.code, label))
    return choices


# What started a background job run (stored in its params; shown on the jobs page).
JOB_TRIGGERS = Vocabulary(
    "job_trigger",
    [
        ("outbox", _l("Contract changes")),
        ("schedule", _l("Nightly schedule")),
        ("admin", _l("Started by an administrator")),
        ("cli", _l("Command line")),
        ("seed", _l("Demo data set-up")),
    ],
)
