"""Keyword extraction for listings: jieba TF-IDF with the domain dictionary and stop words."""

from __future__ import annotations

import re
import threading
from functools import cache

import jieba.analyse

from marketplace.search.textproc import keyword_stop_words, pos_tokenizer, tokenizer

# Nouns, other proper nouns (the user dictionary's tag), verbal nouns, English words, idioms.
ALLOW_POS = ("n", "nz", "vn", "nt", "nw", "eng", "l", "an")
_ONLY_DIGITS = re.compile(r"^[\d.%\-]+$")
_lock = threading.Lock()


@cache
def _extractor() -> jieba.analyse.TFIDF:
    extractor = jieba.analyse.TFIDF()
    extractor.tokenizer = tokenizer()
    extractor.postokenizer = pos_tokenizer()
    extractor.stop_words = set(extractor.STOP_WORDS) | set(keyword_stop_words())
    return extractor


def extract_keywords(title: str, text: str, limit: int = 8) -> list[str]:
    """The ``limit`` most characteristic terms of a listing, best first.

    The title is counted twice because it names the technology; single characters, numbers and
    stop words are dropped; English words are deduplicated case-insensitively.
    """
    title = (title or "").strip()
    text = (text or "").strip()
    if limit <= 0 or not (title or text):
        return []
    sentence = f"{title}。{title}。{text}"
    with _lock:  # the extractor's tokenizers are shared; jieba is not fully thread-safe
        candidates = _extractor().extract_tags(sentence, topK=limit * 3, allowPOS=ALLOW_POS)
    seen: set[str] = set()
    keywords: list[str] = []
    stops = keyword_stop_words()
    for word in candidates:
        word = word.strip()
        key = word.lower()
        if len(word) < 2 or key in seen or key in stops or _ONLY_DIGITS.match(word):
            continue
        seen.add(key)
        keywords.append(word)
        if len(keywords) >= limit:
            break
    return keywords
