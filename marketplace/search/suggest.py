"""Help when a search finds nothing: "did you mean", nearby known words, matching fields.

Backend-neutral: each backend supplies a ``Lexicon`` (the words its index knows, with the number
of listings holding each), so both give the same advice for the same data.
"""

from __future__ import annotations

import re
from typing import Protocol

from marketplace.search.results import is_patent_term
from marketplace.vocab import FIELDS

_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_EDITS = 2
RELATED_LIMIT = 6


class Lexicon(Protocol):
    def frequency(self, word: str) -> int:
        """How many listings hold ``word`` (0 = unknown)."""

    def with_prefix(self, prefix: str, min_len: int, max_len: int) -> list[tuple[str, int]]:
        """Known words starting with ``prefix`` whose length is within the bounds."""

    def containing(self, fragment: str, limit: int) -> list[tuple[str, int]]:
        """The most frequent known words containing ``fragment``."""


def edit_distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def did_you_mean(lexicon: Lexicon, raw: str) -> str | None:
    """The query with each unknown Latin word (3+ letters) replaced by the closest known one
    (at most two edits, same first letter, the most frequent on ties); None if nothing changed."""
    changed = False
    words = []
    for word in raw.split()[:8]:
        lowered = word.lower()
        if (
            _CJK.search(word)
            or len(lowered) < 3
            or not lowered.isalpha()
            or lexicon.frequency(lowered)
        ):
            words.append(word)
            continue
        best: tuple[int, int, str] | None = None
        for candidate, freq in lexicon.with_prefix(
            lowered[0], len(lowered) - MAX_EDITS, len(lowered) + MAX_EDITS
        ):
            distance = edit_distance(lowered, candidate)
            if distance <= MAX_EDITS and (best is None or (distance, -freq) < best[:2]):
                best = (distance, -freq, candidate)
        if best is not None:
            words.append(best[2])
            changed = True
        else:
            words.append(word)
    return " ".join(words) if changed else None


def related_terms(lexicon: Lexicon, terms: list[str]) -> list[str]:
    """Known words sharing two characters with an unknown Chinese term of the query, most
    frequent first (污水处理膜 → 污水, 处理, 水处理 …)."""
    found: dict[str, int] = {}
    for term in terms:
        if is_patent_term(term) or not _CJK.search(term) or lexicon.frequency(term):
            continue
        for i in range(len(term) - 1):
            for word, freq in lexicon.containing(term[i : i + 2], RELATED_LIMIT):
                if word != term:
                    found[word] = max(found.get(word, 0), freq)
    return [word for word, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))][
        :RELATED_LIMIT
    ]


def related_fields(raw: str, terms: list[str]) -> list[str]:
    """Field codes whose name (in the reader's language) contains a word of the query."""
    words = [t for t in terms if len(t) >= 2 and not is_patent_term(t)]
    lowered = raw.lower()
    codes = []
    for term in FIELDS:
        label = str(term.label).lower()
        if any(word in label for word in words) or (lowered and lowered in label):
            codes.append(term.code)
    return codes
