"""The project: settings, URLs and the Celery app, with the code every app shares (the
API gateway, refusals, rate counters, encryption of secrets, base templates)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
