"""Celery worker: the app, the schedule and the tasks."""
