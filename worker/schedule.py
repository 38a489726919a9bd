"""Every periodic job in one list (run by ``marketplace worker --beat`` or ``marketplace beat``)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Safety net for the outbox: anything whose after-commit dispatch was lost gets drained.
    "sweep-outbox": {
        "task": "worker.tasks.outbox.sweep_outbox",
        "schedule": 5.0,
    },
    "prune-processed-outbox": {
        "task": "worker.tasks.outbox.prune_outbox",
        "schedule": crontab(hour=3, minute=30),
    },
    # Reconcile every statistics figure with the contracts themselves (one transaction).
    "stats-full-recompute": {
        "task": "worker.tasks.stats.recompute_stats",
        "schedule": crontab(hour=2, minute=15),
    },
}
