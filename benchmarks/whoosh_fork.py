"""Whoosh-Reloaded vs the ``whoosh3`` fork: index format both ways, and search speed.

Run each step with the Python of an environment holding one library or the other:

    python -m benchmarks.whoosh_fork build DIR --docs 20000     # writes DIR/<library version>
    python -m benchmarks.whoosh_fork search DIR/2.7.5           # p50/p95 + a digest of results

``search`` prints a digest of the hits (ids and facet counts) of a fixed query list, so the same
index searched by both libraries must print the same digest; an index built by one and searched
by the other shows whether the on-disk format is shared. Documents are the project's schema
(``marketplace.search.schema.make_schema``) filled from the synthetic vocabulary, no database.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import time
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh import sorting
from whoosh.query import And, Or, Term

from marketplace.search.schema import make_schema
from marketplace.seed.synthetic_listings import TERMS

FIELDS = list(TERMS)
QUERIES = [
    ("石墨烯",),
    ("锂电池", "回收"),
    ("传感器",),
    ("污水", "处理", "膜"),
    ("材料",),
    ("智能", "制造"),
    ("电池",),
    ("涂层", "复合"),
]


def _words() -> list[str]:
    return [w for objs, techs, uses in TERMS.values() for w in objs + techs + uses]


def build(root: Path, docs: int, seed: int) -> None:
    rng = random.Random(seed)
    words = _words()
    path = root / whoosh.versionstring()
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), make_schema("achievement"), indexname="achievement")
    started = time.perf_counter()
    writer = ix.writer(limitmb=512)
    for i in range(docs):
        field = rng.choice(FIELDS)
        title = "".join(rng.sample(words, 3))
        text = "，".join("".join(rng.sample(words, 4)) for _ in range(6))
        writer.add_document(
            id=str(i + 1),
            title=title,
            keywords=" ".join(rng.sample(words, 3)),
            text=text,
            excerpt=text[:200],
            field=field,
            maturity_stage=rng.choice(["lab", "pilot"]),
            ip_type="invention_patent",
            modes=",".join(rng.sample(["transfer", "license"], 1)),
            price_band=rng.choice(["lt100k", "1m_5m"]),
            province="330000",
            org="某大学",
            patents="",
            org_kind="university",
            status="published",
            updated="",
        )
    writer.commit()
    seconds = time.perf_counter() - started
    print(
        f"whoosh {whoosh.versionstring()}: built {docs} documents in {seconds:.1f} s "
        f"({docs / seconds:.0f} docs/s); load average {os.getloadavg()[0]:.1f}"
    )


def search(path: Path, rounds: int) -> None:
    ix = whoosh_index.open_dir(str(path), indexname="achievement")
    digest = hashlib.sha1(usedforsecurity=False)
    timings = []
    with ix.searcher() as searcher:
        for round_ in range(rounds):
            for words in QUERIES:
                clauses = [
                    Or([Term(name, w) for name in ("title", "keywords", "text")]) for w in words
                ]
                query = clauses[0] if len(clauses) == 1 else And(clauses)
                facets = sorting.Facets()
                for name in ("field", "maturity_stage", "price_band"):
                    facets.add_field(name)
                started = time.perf_counter()
                results = searcher.search(query, limit=10, groupedby=facets, maptype=sorting.Count)
                hits = [hit["id"] for hit in results]
                groups = {name: sorted(results.groups(name).items()) for name in facets.names()}
                timings.append(time.perf_counter() - started)
                if round_ == 0:
                    digest.update(repr((words, hits, groups)).encode())
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"whoosh {whoosh.versionstring()} searching {path.name}: "
        f"p50 {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms over "
        f"{len(timings)} searches; results digest {digest.hexdigest()[:12]}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["build", "search"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.step == "build":
        build(args.path, args.docs, args.seed)
    else:
        search(args.path, args.rounds)


if __name__ == "__main__":
    main()
