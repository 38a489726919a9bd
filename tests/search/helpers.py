"""Listing factories without the default keywords (so that tests control what matches)."""

from __future__ import annotations

from typing import Any

from tests.factories import AchievementFactory, DemandFactory


def achievement(**kwargs: Any) -> Any:
    kwargs.setdefault("keywords", [])
    return AchievementFactory(**kwargs)


def demand(**kwargs: Any) -> Any:
    kwargs.setdefault("keywords", [])
    return DemandFactory(**kwargs)
