"""Every periodic job in one list (run by ``marketplace worker --beat`` or ``marketplace beat``)."""

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Safety net for the outbox: anything whose after-commit dispatch was lost gets drained.
    "sweep-outbox": {
        "task": "worker.tasks.outbox.sweep_outbox",
        "schedule": 5.0,  # the default of OUTBOX_SWEEP_SECONDS; see beat_schedule()
    },
    # Jobs whose worker died read "failed" within seconds, not "running" forever.
    "reap-lost-jobs": {
        "task": "worker.tasks.jobs.reap_jobs",
        "schedule": 10.0,
    },
    "prune-processed-outbox": {
        "task": "worker.tasks.outbox.prune_outbox",
        "schedule": crontab(hour=3, minute=30),
    },
    # PostgreSQL search: the word list behind "did you mean" (new words show up within the hour).
    "refresh-search-lexicon": {
        "task": "worker.tasks.search.refresh_search_lexicon",
        "schedule": crontab(minute=17),
    },
    # Listing page views are counted in Redis; the counts shown on lists catch up each minute.
    "fold-listing-views": {
        "task": "worker.tasks.listings.fold_listing_views",
        "schedule": 60.0,
    },
    # Lots open and close on time (bids after the close are refused by the service anyway).
    "advance-lots": {
        "task": "worker.tasks.auctions.advance_lots",
        "schedule": 10.0,
    },
    # Reconcile every statistics figure with the contracts themselves (one transaction).
    "stats-full-recompute": {
        "task": "worker.tasks.stats.recompute_stats",
        "schedule": crontab(hour=2, minute=15),
    },
    # The monthly bulletin (简报) of the month just ended, after the nightly recompute.
    "registry-monthly-bulletin": {
        "task": "worker.tasks.registry.produce_monthly_bulletin",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    # Innovation vouchers: publication periods that ended, unused vouchers past use-by,
    # used ones never redeemed by redeem-by (hourly; each transition is audited).
    "voucher-transitions": {
        "task": "worker.tasks.vouchers.voucher_transitions",
        "schedule": crontab(minute=7),
    },
    # SPEC §6.4: ten reviews in two years all rated >= 90 -> senior; average < 60 -> removed.
    "expert-standing": {
        "task": "worker.tasks.experts.apply_expert_standing",
        "schedule": crontab(hour=4, minute=0),
    },
}


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The schedule with the intervals a deployment configures (``OUTBOX_SWEEP_SECONDS``)."""
    schedule = {name: dict(entry) for name, entry in BEAT_SCHEDULE.items()}
    schedule["sweep-outbox"]["schedule"] = float(config["OUTBOX_SWEEP_SECONDS"])
    return schedule
