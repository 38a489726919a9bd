"""Helpers for the table-driven role × endpoint access matrix that every feature extends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "researcher", "enterprise", "broker", "admin")


@dataclass(frozen=True)
class Rule:
    """One endpoint and the status each role must get.

    ``path`` may contain ``{name}`` placeholders filled from the fixtures' objects.
    ``expect`` maps role → status; roles not listed expect ``default``.
    """

    method: str
    path: str
    expect: dict[str, int]
    default: int = 403
    data: dict[str, Any] | None = None
    json: dict[str, Any] | None = None
    id: str = field(default="")

    def status_for(self, role: str) -> int:
        return self.expect.get(role, self.default)


def call(
    client: Any,
    rule: Rule,
    role: str,
    users: dict[str, Any],
    objects: dict[str, Any],
    headers_for: Callable[[Any], dict[str, str]] | None = None,
    login: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """Perform ``rule`` as ``role`` (API paths use a bearer token, pages a signed-in session)."""
    path = rule.path.format(**objects)
    headers: dict[str, str] = {}
    if role != "anonymous":
        user = users[role]
        if path.startswith("/api/") and headers_for is not None:
            headers = headers_for(user)
        elif login is not None:
            login(client, user)
    kwargs: dict[str, Any] = {"headers": headers}
    if rule.json is not None:
        kwargs["json"] = rule.json
    if rule.data is not None:
        kwargs["data"] = rule.data
    return client.open(path, method=rule.method, **kwargs)


def cases(rules: list[Rule]) -> list[tuple[Rule, str]]:
    """Every (rule, role) pair, for ``pytest.mark.parametrize``."""
    return [(rule, role) for rule in rules for role in ROLES]


def case_id(value: Any) -> str:
    if isinstance(value, Rule):
        return value.id or f"{value.method} {value.path}"
    return str(value)
