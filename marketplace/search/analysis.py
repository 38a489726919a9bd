"""The Chinese/English analyzer for Whoosh (importable: the index stores this class path).

Indexing cuts text with jieba's precise mode plus the 2- and 3-character dictionary words inside
each token of 4+ characters (like jieba's "search" mode) at the same position, so 锂电池回收 is
found by 锂电池 and by 回收; queries use precise mode (faster, better ranking), asking a long
compound as its parts. The domain user dictionary keeps
technical terms such as 石墨烯 whole; English is lower-cased, not stemmed; stop words go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable, Filter, Token, Tokenizer

from marketplace.text.textproc import stop_words, tokenizer

_WORD = re.compile(r"\w", re.UNICODE)


class ChineseTokenizer(Tokenizer):
    """jieba tokens with positions and character offsets (needed for highlighting)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        tok = tokenizer()
        freq = tok.FREQ
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for word, start, end in tok.tokenize(value, HMM=False):
            if not _WORD.search(word):
                continue  # spaces and punctuation
            base = start_char + start
            if len(word) >= 4:
                if mode == "query":
                    # A long compound (锂电池回收) is asked as its parts (锂电池, 回收), which the
                    # index holds at the compound's position, so "锂电池的回收" is found too.
                    parts = _cover(word, freq)
                    if parts:
                        for offset, part in parts:
                            yield _fill(
                                token,
                                part,
                                position,
                                base + offset,
                                base + offset + len(part),
                                keeporiginal,
                            )
                            position += 1
                        continue
                else:
                    for size in (2, 3):
                        for i in range(len(word) - size + 1):
                            gram = word[i : i + size]
                            if freq.get(gram):
                                yield _fill(
                                    token, gram, position, base + i, base + i + size, keeporiginal
                                )
            yield _fill(token, word, position, base, start_char + end, keeporiginal)
            position += 1


def _cover(word: str, freq: dict[str, int]) -> list[tuple[int, str]]:
    """Split ``word`` greedily into dictionary words of 3 or 2 characters, or return []."""
    parts: list[tuple[int, str]] = []
    i = 0
    while i < len(word):
        for size in (3, 2):
            gram = word[i : i + size]
            if len(gram) == size and freq.get(gram):
                parts.append((i, gram))
                i += size
                break
        else:
            return []
    return parts


def _fill(
    token: Token, text: str, pos: int, startchar: int, endchar: int, keeporiginal: bool
) -> Token:
    token.text = text
    token.boost = 1.0
    token.stopped = False
    if keeporiginal:
        token.original = text
    token.pos = pos
    token.startchar = startchar
    token.endchar = endchar
    return token


class LowercaseStopFilter(Filter):
    """Lower-cases English and drops stop words (from the data file) in one pass."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = stop_words()
        for token in tokens:
            text = token.text.lower()
            if text in stops:
                if token.removestops:
                    continue
                token.stopped = True
            token.text = text
            yield token


def ChineseAnalyzer() -> Composable:
    """The analyzer used by every text field of the search schema."""
    return ChineseTokenizer() | LowercaseStopFilter()
