"""A fixed-rate (open-loop) HTTP load generator: requests leave on schedule whatever the server
does, and each latency counts from the scheduled time, so a server that falls behind shows its
queueing delay instead of slowing the generator down (no coordinated omission)."""

from __future__ import annotations

import random
import resource
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

MAX_BACKLOG_SECONDS = 10.0  # a step is abandoned once requests wait this long to leave


@dataclass
class StepResult:
    rate: float
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    errors: dict[str, int] = field(default_factory=dict)
    generator_cpu: float = 0.0
    abandoned: bool = False

    @property
    def sent(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())

    def pct(self, kind: str | None, p: float) -> float:
        values = sorted(v for k, vs in self.latencies.items() if kind in (None, k) for v in vs)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000

    def mean_ms(self, kind: str | None = None) -> float:
        values = [v for k, vs in self.latencies.items() if kind in (None, k) for v in vs]
        return statistics.mean(values) * 1000 if values else float("nan")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_step(
    base: str,
    rate: float,
    seconds: float,
    choose: Callable[[random.Random], tuple[str, str]],
    seed: int,
    threads: int = 128,
) -> StepResult:
    """Send ``rate`` requests per second (evenly spaced) for ``seconds``; ``choose`` picks
    (kind, path) for each."""
    rng = random.Random(seed)
    result = StepResult(rate=rate, seconds=seconds)
    lock = threading.Lock()
    count = max(1, int(rate * seconds))
    interval = 1.0 / rate
    cpu0 = _cpu()

    def fetch(kind: str, path: str, scheduled: float) -> None:
        try:
            with urllib.request.urlopen(base + path, timeout=60) as response:  # noqa: S310
                response.read()
                ok = response.status < 400
        except urllib.error.HTTPError as error:
            ok = error.code < 400
        except OSError:
            ok = False
        elapsed = time.perf_counter() - scheduled
        with lock:
            if ok:
                result.latencies.setdefault(kind, []).append(elapsed)
            else:
                result.errors[kind] = result.errors.get(kind, 0) + 1

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for i in range(count):
            scheduled = start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif -delay > MAX_BACKLOG_SECONDS:
                result.abandoned = True
                break
            kind, path = choose(rng)
            pool.submit(fetch, kind, path, scheduled)
            # The pool's queue is the backlog: past this, the server is far behind.
            if pool._work_queue.qsize() > rate * MAX_BACKLOG_SECONDS:
                result.abandoned = True
                break
    result.generator_cpu = _cpu() - cpu0
    return result
