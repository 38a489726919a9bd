"""Celery tasks; each calls services, never views."""
