"""The periodic jobs' intervals that a deployment configures are the ones beat runs."""

from __future__ import annotations

from worker.schedule import BEAT_SCHEDULE, beat_schedule


def test_outbox_sweep_interval_comes_from_the_configuration():
    schedule = beat_schedule({"OUTBOX_SWEEP_SECONDS": 2.5})
    assert schedule["sweep-outbox"]["schedule"] == 2.5
    assert schedule["sweep-outbox"]["task"] == "worker.tasks.outbox.sweep_outbox"
    # The shared default table is not changed by building one deployment's schedule.
    assert BEAT_SCHEDULE["sweep-outbox"]["schedule"] == 5.0
    assert schedule.keys() == BEAT_SCHEDULE.keys()


def test_the_celery_app_uses_the_configured_schedule():
    from worker.celery_app import celery, flask_app

    configured = float(flask_app.config["OUTBOX_SWEEP_SECONDS"])
    assert celery.conf.beat_schedule["sweep-outbox"]["schedule"] == configured
