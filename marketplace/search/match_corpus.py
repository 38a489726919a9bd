"""The in-memory text model the matcher ranks with: BM25 over the whole text of every published
listing of one kind, as words and as Chinese character bigrams.

Why not the Whoosh index: ranking with the listing's *whole* text as the query (title, keywords,
summary — a hundred or more distinct terms) is what beats plain BM25, and Whoosh's pure-Python
matchers need seconds for such queries at 100,000 documents. Here each kind's term frequencies
are a sparse matrix (one column per term), and one query is a few NumPy operations over the
columns of its terms: tens of milliseconds at 100,000 achievements.

The model lives in the process that computes matches (the worker) and follows the database:
each use reads the listings changed since the last one (``updated_at``), re-tokenises those and
marks their old rows dead; when the published count disagrees, and every ten minutes, it
compares the stamps of all published listings (a listing deleted outright, or a transaction
that committed after a later-stamped one was read). Building it from scratch tokenises every
published listing once (jieba, 3–6 ms a listing on this loaded machine): seconds for the real
data set, about ten minutes at 100,000 listings — once per worker process.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.text.textproc import tokenizer

_WORD = re.compile(r"\w")
_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z][a-z0-9\-]*|\d+(?:\.\d+)?")
# Every so often the stamps of all published listings are compared (see ``sync``): about 10 s
# at 100,000 listings on a loaded SQLite, so once in ten minutes.
RECHECK_SECONDS = 600.0
# Delta rows kept apart from the main matrix before they are merged into it.
_MERGE_AT = 1000


def word_tokens(text: str) -> list[str]:
    """jieba search-mode words (the domain dictionary), lower-cased, punctuation gone.

    With jieba's HMM for words outside the dictionaries (unlike the search index): new compounds
    such as 绳锯机 stay whole, which ranked better on the judged set (nDCG@10 0.555 vs 0.515)."""
    return [
        w.lower()
        for w in tokenizer().cut_for_search(text, HMM=True)
        if w.strip() and _WORD.search(w)
    ]


def bigram_tokens(text: str) -> list[str]:
    """Overlapping Chinese character bigrams (a lone character stays), and Latin words / numbers.

    Independent of any dictionary: finds 钙钛矿 in 钙钛矿型 where the word cut differs."""
    out: list[str] = []
    for match in _RUNS.finditer(text.lower()):
        run = match.group()
        if "\u4e00" <= run[0] <= "\u9fff":
            if len(run) == 1:
                out.append(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


@dataclass
class ListingText:
    """What the matcher needs of a listing (either kind): its text and structured signals."""

    listing_id: int
    title: str
    body: str
    keywords: Sequence[str]
    field: str | None = None
    maturity: int | None = None
    price: Decimal | None = None  # achievements; None = negotiable
    budget_max: Decimal | None = None  # demands; None = open
    modes: Sequence[str] = ()

    @classmethod
    def of(cls, listing: Listing) -> ListingText:
        return cls(
            listing.id,
            listing.title or "",
            listing.body or "",
            _own_keywords(listing),
            listing.field,
            listing.maturity,
            listing.price,
            listing.budget_max,
            list(listing.modes or []),
        )

    def streams(self, title_weight: int) -> tuple[list[str], list[str]]:
        """(words, bigrams) of title ×``title_weight``, keywords and body."""
        words = word_tokens(self.title) * title_weight
        bigrams = bigram_tokens(self.title) * title_weight
        for part in (" ".join(self.keywords), self.body):
            words += word_tokens(part)
            bigrams += bigram_tokens(part)
        return words, bigrams


def _own_keywords(row: Any) -> list[str]:
    """The keywords the author gave. Extracted ones (the importer's) repeat the text's own
    words and only double-count them: with them nDCG@10 on dev fell from 0.553 to 0.520."""
    return [] if row.keywords_extracted else list(row.keywords or [])


class TermMatrix:
    """Term frequencies of the rows (documents) of one token stream, with BM25 scoring.

    Rows only grow; a changed document gets a new row and its old one is dropped from the
    statistics (``remove``) and masked by the caller. New rows go to a small delta matrix that
    is merged into the main (column-major) one every ``_MERGE_AT`` rows.
    """

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.lengths = np.zeros(0, dtype=np.float32)
        self.total_length = 0.0
        self.live_rows = 0
        self._main: sp.csc_matrix = sp.csc_matrix((0, 0), dtype=np.float32)
        self._delta_rows: list[tuple[np.ndarray, np.ndarray]] = []
        self._delta: sp.csc_matrix | None = None
        self._row_terms: list[np.ndarray] = []
        self._weighted_cache: dict[tuple[float, float], sp.csc_matrix] = {}

    @property
    def rows(self) -> int:
        return len(self._row_terms)

    def _ids(self, tokens: Iterable[str], grow: bool) -> Counter[int]:
        counts: Counter[int] = Counter()
        for token in tokens:
            index = self.vocab.get(token)
            if index is None:
                if not grow:
                    continue
                index = self.vocab[token] = len(self.vocab)
            counts[index] += 1
        return counts

    def add_many(self, documents: Sequence[Sequence[str]]) -> None:
        """Append one row per document."""
        indptr = [0]
        cols: list[int] = []
        vals: list[int] = []
        for tokens in documents:
            counts = self._ids(tokens, grow=True)
            cols.extend(counts)
            vals.extend(counts.values())
            indptr.append(len(cols))
        if len(self.df) < len(self.vocab):
            self.df = np.concatenate(
                [self.df, np.zeros(len(self.vocab) - len(self.df), dtype=np.int64)]
            )
        col_arr = np.asarray(cols, dtype=np.int32)
        val_arr = np.asarray(vals, dtype=np.float32)
        np.add.at(self.df, col_arr, 1)
        lengths = np.asarray([len(tokens) for tokens in documents], dtype=np.float32)
        self.lengths = np.concatenate([self.lengths, lengths])
        self.total_length += float(lengths.sum())
        self.live_rows += len(documents)
        for i in range(len(documents)):
            row = (col_arr[indptr[i] : indptr[i + 1]], val_arr[indptr[i] : indptr[i + 1]])
            self._row_terms.append(row[0])
            self._delta_rows.append(row)
        self._delta = None
        if len(self._delta_rows) >= _MERGE_AT or self._main.shape[0] == 0:
            self._merge()

    def remove(self, row: int) -> None:
        """Take a row out of the statistics (document frequencies, average length)."""
        np.subtract.at(self.df, self._row_terms[row], 1)
        self.total_length -= float(self.lengths[row])
        self.live_rows -= 1

    def _delta_matrix(self) -> sp.csc_matrix:
        if self._delta is None:
            cols = [c for c, _ in self._delta_rows]
            vals = [v for _, v in self._delta_rows]
            indptr = np.cumsum([0, *(len(c) for c in cols)])
            self._delta = sp.csr_matrix(
                (
                    np.concatenate(vals) if vals else np.zeros(0, np.float32),
                    np.concatenate(cols) if cols else np.zeros(0, np.int32),
                    indptr,
                ),
                shape=(len(self._delta_rows), len(self.vocab)),
            ).tocsc()
        return self._delta

    def _merge(self) -> None:
        delta = self._delta_matrix()
        main = self._main
        width = len(self.vocab)
        if main.shape[1] < width:
            main = sp.csc_matrix(
                (
                    main.data,
                    main.indices,
                    np.concatenate([main.indptr, np.full(width - main.shape[1], main.indptr[-1])]),
                ),
                shape=(main.shape[0], width),
            )
        self._main = sp.vstack([main, delta], format="csc", dtype=np.float32)
        self._weighted_cache.clear()
        self._delta_rows = []
        self._delta = None

    def _weighted(
        self, matrix: sp.csc_matrix, offset: int, k1: float, b: float, average: float
    ) -> sp.csc_matrix:
        """``matrix`` with each term frequency replaced by BM25's saturated, length-normalised
        value tf·(k1 + 1) / (tf + k1·(1 − b + b·length / average length))."""
        tf = matrix.data
        norm = k1 * (1 - b + b * self.lengths[offset + matrix.indices] / average)
        data = (tf * (k1 + 1) / (tf + norm)).astype(np.float32)
        return sp.csc_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)

    def _weighted_main(self, k1: float, b: float) -> sp.csc_matrix:
        """The main matrix as BM25 values, kept until the next merge (so with the average
        length of that moment: the delta rows, under 1,000, barely move it)."""
        key = (k1, b)
        if key not in self._weighted_cache:
            average = self.total_length / max(self.live_rows, 1) or 1.0
            self._weighted_cache[key] = self._weighted(self._main, 0, k1, b, average)
        return self._weighted_cache[key]

    def bm25(
        self, query: Sequence[str], k1: float, b: float, sublinear: bool = True
    ) -> tuple[np.ndarray, float]:
        """Every row's BM25 score for the query tokens, and the score the query would give
        itself — the ceiling used to put the scores on an absolute 0–1 scale.

        A token repeated n times in the query weighs n (as in bm25s) or, ``sublinear``,
        1 + ln n: a long description repeating one word should not drown its other words."""
        counts = self._ids(query, grow=False)
        if not counts or self.live_rows <= 0:
            return np.zeros(self.rows, dtype=np.float32), 0.0
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        qtf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        n = self.live_rows
        df = self.df[ids].astype(np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        average = self.total_length / n or 1.0
        weight = (1 + np.log(qtf) if sublinear else qtf) * idf
        scores = np.zeros(self.rows, dtype=np.float32)
        main = self._weighted_main(k1, b)
        parts = [(main, 0)]
        if self._delta_rows:
            parts.append(
                (self._weighted(self._delta_matrix(), main.shape[0], k1, b, average), main.shape[0])
            )
        for matrix, offset in parts:
            inside = ids < matrix.shape[1]
            if matrix.shape[0] and inside.any():
                # The query's columns only, then one sparse matrix-vector product (C speed).
                scores[offset : offset + matrix.shape[0]] = matrix[:, ids[inside]] @ weight[
                    inside
                ].astype(np.float32)
        return scores, self._ceiling(query, k1, b, sublinear, n, average)

    def _ceiling(
        self, query: Sequence[str], k1: float, b: float, sublinear: bool, n: int, average: float
    ) -> float:
        """The BM25 score of the query against itself, over *all* its tokens (those no listing
        has at their highest idf): sharing one word of a long query is not a perfect match,
        however few listings there are."""
        counts = Counter(query)
        qtf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        ids = [self.vocab.get(token) for token in counts]
        df = np.array([0 if i is None else self.df[i] for i in ids], dtype=np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        weight = (1 + np.log(qtf) if sublinear else qtf) * idf
        norm = k1 * (1 - b + b * len(query) / average)
        return float(np.sum(weight * qtf * (k1 + 1) / (qtf + norm)))


@dataclass
class Corpus:
    """The published listings of one kind: word and bigram matrices plus structured signals."""

    kind: str
    title_weight: int
    words: TermMatrix = field(default_factory=TermMatrix)
    bigrams: TermMatrix = field(default_factory=TermMatrix)
    docs: list[ListingText] = field(default_factory=list)  # by row
    live: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    row_of: dict[int, int] = field(default_factory=dict)  # listing id → its live row
    stamps: dict[int, datetime] = field(default_factory=dict)
    watermark: datetime | None = None
    checked_at: float = field(default_factory=time.monotonic)  # last full stamp comparison

    def add(self, texts: Sequence[ListingText]) -> None:
        for text in texts:
            self.discard(text.listing_id)
        streams = [text.streams(self.title_weight) for text in texts]
        start = len(self.docs)
        self.words.add_many([w for w, _ in streams])
        self.bigrams.add_many([g for _, g in streams])
        self.docs.extend(texts)
        self.live = np.concatenate([self.live, np.ones(len(texts), dtype=bool)])
        for i, text in enumerate(texts):
            self.row_of[text.listing_id] = start + i

    def discard(self, listing_id: int) -> None:
        row = self.row_of.pop(listing_id, None)
        self.stamps.pop(listing_id, None)
        if row is not None:
            self.live[row] = False
            self.words.remove(row)
            self.bigrams.remove(row)

    def __len__(self) -> int:
        return len(self.row_of)


_COLUMNS = (
    Listing.id,
    Listing.status,
    Listing.updated_at,
    Listing.title,
    Listing.body,
    Listing.keywords,
    Listing.keywords_extracted,
    Listing.field,
    Listing.maturity,
    Listing.price,
    Listing.budget_max,
    Listing.modes,
)
_corpora: dict[tuple[str, str, int], Corpus] = {}
_lock = threading.RLock()


def _text(row: Any) -> ListingText:
    return ListingText(
        row.id,
        row.title or "",
        row.body or "",
        _own_keywords(row),
        row.field,
        row.maturity,
        row.price,
        row.budget_max,
        list(row.modes or []),
    )


def _apply(corpus: Corpus, rows: Sequence[Any]) -> None:
    fresh: list[ListingText] = []
    for row in rows:
        if corpus.watermark is None or row.updated_at > corpus.watermark:
            corpus.watermark = row.updated_at
        if row.status != "published":
            corpus.discard(row.id)
        elif corpus.stamps.get(row.id) != row.updated_at:
            fresh.append(_text(row))
            corpus.stamps[row.id] = row.updated_at
    if fresh:
        stamps = {t.listing_id: corpus.stamps[t.listing_id] for t in fresh}
        corpus.add(fresh)
        corpus.stamps.update(stamps)


def sync(corpus: Corpus) -> Corpus:
    """Bring the corpus up to date with the database (see the module docstring)."""
    query = sa.select(*_COLUMNS).where(Listing.kind == corpus.kind)
    if corpus.watermark is not None:
        # Strictly after: a bulk import stamps thousands of rows with one instant, and "≥" read
        # them all again on every call (2.5 s a demand at 100,000). A listing added in the
        # same instant but committed later is caught by the count check below.
        query = query.where(Listing.updated_at > corpus.watermark)
    else:
        query = query.where(Listing.status == "published")
    _apply(corpus, db.session.execute(query.order_by(Listing.updated_at)).all())
    published = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Listing)
        .where(Listing.kind == corpus.kind, Listing.status == "published")
    ).scalar_one()
    now = time.monotonic()
    if published != len(corpus) or now - corpus.checked_at > RECHECK_SECONDS:
        # A listing deleted outright, or a change committed after a later-stamped one was
        # read: compare every published listing's stamp and catch up.
        corpus.checked_at = now
        stamps = dict(
            db.session.execute(
                sa.select(Listing.id, Listing.updated_at).where(
                    Listing.kind == corpus.kind, Listing.status == "published"
                )
            ).all()
        )
        for gone in set(corpus.row_of) - set(stamps):
            corpus.discard(gone)
        stale = [i for i, stamp in stamps.items() if corpus.stamps.get(i) != stamp]
        for start in range(0, len(stale), 500):
            _apply(
                corpus,
                db.session.execute(
                    sa.select(*_COLUMNS).where(Listing.id.in_(stale[start : start + 500]))
                ).all(),
            )
    return corpus


@contextmanager
def corpus_for(kind: str, title_weight: int) -> Iterator[Corpus]:
    """This process's up-to-date corpus of the published listings of ``kind``, held for the
    caller alone (a threaded worker must not add rows while another thread scores)."""
    key = (str(db.engine.url), kind, title_weight)
    with _lock:
        corpus = _corpora.get(key)
        if corpus is None:
            corpus = _corpora[key] = Corpus(kind, title_weight)
        yield sync(corpus)


def forget_corpora() -> None:
    """Drop the cached corpora (tests that recreate a database under the same URL)."""
    with _lock:
        _corpora.clear()
