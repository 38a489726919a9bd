"""Auto-extracted keywords name the technology, not words every field's listings use."""

from __future__ import annotations

import json

import pytest

from marketplace.text.keywords import extract_keywords
from tests.conftest import ROOT, SHARED_DATA

# The shared data sits beside the checkout (or two levels up from a worktree).
_DATA = next(
    (path for path in (SHARED_DATA, ROOT.parent.parent / "shared" / "data") if path.is_dir()),
    SHARED_DATA,
)

TEXT = (
    "本成果技术成熟度高，应用场景广泛，已在多个场景应用。"
    "采用湿法冶金回收锂电池正极材料中的钴镍锂，专利号ZL201910000000.1，产业化前景好，成本低，经济效益显著。"
)


def test_generic_words_are_not_keywords():
    keywords = extract_keywords("锂电池正极材料回收技术", TEXT)
    assert {"正极材料", "锂电池"} <= set(keywords)
    for generic in (
        "成熟度",
        "场景",
        "应用",
        "应用场景",
        "专利号",
        "产业化",
        "前景",
        "成本低",
        "经济效益",
    ):
        assert generic not in keywords, generic
    assert not any(word.upper().startswith("ZL") for word in keywords)  # a patent number


def test_shared_listings_never_get_the_generic_words(app):
    """Over real listings of every field: none of the field-independent words survives."""
    path = _DATA / "listings" / "achievements.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    generic = {"成熟度", "场景", "应用", "应用场景", "专利号", "技术", "产业化", "关键技术"}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= 300:
                break
            item = json.loads(line)
            found = generic & set(extract_keywords(item["title"], item.get("summary") or ""))
            assert not found, (item["title"], found)
