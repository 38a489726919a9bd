"""The Celery application, bound to a Flask app so tasks run in its context."""

from marketplace import create_app
from worker.schedule import BEAT_SCHEDULE

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
    ],
    beat_schedule=BEAT_SCHEDULE,
)
