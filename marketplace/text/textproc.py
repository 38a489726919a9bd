"""One jieba tokenizer per process, loaded with the domain user dictionary and stop words."""

from __future__ import annotations

import logging
import threading
from functools import cache
from importlib import resources

import jieba
import jieba.posseg

DATA = "marketplace.text.data"
_lock = threading.Lock()


def _lines(name: str) -> list[str]:
    text = resources.files(DATA).joinpath(name).read_text(encoding="utf-8")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@cache
def user_terms() -> tuple[str, ...]:
    """The domain terms of the user dictionary (first column)."""
    return tuple(line.split()[0] for line in _lines("user_dict.txt"))


@cache
def stop_words() -> frozenset[str]:
    """Function words dropped by the search analyzer."""
    return frozenset(word.lower() for word in _lines("stopwords.txt"))


@cache
def keyword_stop_words() -> frozenset[str]:
    """Stop words for keyword extraction: function words plus generic words like 技术, 应用."""
    return stop_words() | frozenset(_lines("keyword_stopwords.txt"))


def tokenizer() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with the user dictionary (loaded once, thread-safe)."""
    with _lock:
        return _tokenizer()


@cache
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for line in _lines("user_dict.txt"):
        parts = line.split()
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 else None
        tag = parts[2] if len(parts) > 2 else "nz"
        # Without a frequency jieba suggests one high enough that the term is never split.
        tok.add_word(word, freq, tag)
        if freq is None:
            tok.suggest_freq(word, tune=True)
    return tok


@cache
def pos_tokenizer() -> jieba.posseg.POSTokenizer:
    return jieba.posseg.POSTokenizer(tokenizer())
