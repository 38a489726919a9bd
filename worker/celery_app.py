"""The Celery application, bound to a Flask app so tasks run in its context."""

from typing import Any

from celery.signals import celeryd_after_setup

from marketplace import create_app
from marketplace.search.index_host import ensure_local_index
from worker.schedule import beat_schedule

flask_app = create_app()
celery = flask_app.extensions["celery"]
celery.conf.update(
    include=[
        "worker.tasks.outbox",
        "worker.tasks.notifications",
        "worker.tasks.imports",
        "worker.tasks.search",
        "worker.tasks.matching",
        "worker.tasks.stats",
        "worker.tasks.jobs",
        "worker.tasks.registry",
        "worker.tasks.auctions",
        "worker.tasks.vouchers",
        "worker.tasks.experts",
        "worker.tasks.listings",
    ],
    beat_schedule=beat_schedule(flask_app.config),
)


@celeryd_after_setup.connect
def prepare_search_host(sender: str, instance: Any, **_kwargs: Any) -> None:
    """The worker serving the ``search`` queue owns the Whoosh index: a new host builds it from
    the database before consuming (web hosts keep no index files)."""
    if "search" in instance.app.amqp.queues.consume_from:
        with flask_app.app_context():
            ensure_local_index()
