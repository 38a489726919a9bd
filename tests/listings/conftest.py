"""Listing test helpers: a deterministic keyword extractor until the search feature's lands."""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest


def _fake_extract(title: str, text: str, limit: int = 8) -> list[str]:
    words: list[str] = []
    for word in re.findall(r"[\u4e00-\u9fff]{2,4}|[A-Za-z]{3,}", f"{title} {text}"):
        if word not in words:
            words.append(word)
    return words[:limit]


@pytest.fixture(autouse=True)
def keyword_extractor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Use the real extractor when it exists; otherwise a test double with its signature."""
    try:
        module = importlib.import_module("marketplace.text.keywords")
    except ImportError:
        module = types.ModuleType("marketplace.text.keywords")
        module.extract_keywords = _fake_extract  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "marketplace.text.keywords", module)
    yield module


@pytest.fixture
def orgs(app: Any) -> dict[str, Any]:
    from tests.factories import OrganisationFactory

    return {
        "uni": OrganisationFactory(kind="university", name="甲大学"),
        "uni2": OrganisationFactory(kind="university", name="乙大学"),
        "ent": OrganisationFactory(kind="enterprise", name="丙公司"),
        "ent2": OrganisationFactory(kind="enterprise", name="丁公司"),
    }
