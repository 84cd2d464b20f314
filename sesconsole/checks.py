"""System checks of the project's own settings (secrets, broker, database); each app
registers the checks of its own settings in its checks.py."""

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def check_encryption_keys(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for i, key in enumerate(settings.SES_ENCRYPTION_KEYS):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"SES_ENCRYPTION_KEYS entry {i + 1} is not a Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'",
                    id="sesconsole.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_encryption_keys_deploy(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.SES_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "SES_ENCRYPTION_KEYS is not set: secrets at rest are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set SES_ENCRYPTION_KEYS to a Fernet key kept apart from the database.",
            id="sesconsole.W001",
        )
    ]


@register(deploy=True)
def check_broker(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.CELERY_BROKER_URL.startswith("sqla+"):
        return [
            Warning(
                "Celery uses the embedded SQLite broker.",
                hint="Set CELERY_BROKER_URL (and REDIS_URL) to a Redis server in production.",
                id="sesconsole.W002",
            )
        ]
    return []


@register(deploy=True)
def check_database(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [
            Warning(
                "The database is the embedded SQLite file.",
                hint="Set DATABASE_URL to a PostgreSQL database in production.",
                id="sesconsole.W003",
            )
        ]
    return []
