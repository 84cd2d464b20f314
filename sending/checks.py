"""System checks of delivery and of the SMTP submission server's settings."""

import itertools
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from sending.smtp.submission.tls import server_context


@register()
def check_delivery(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    hard_limit = settings.SES_DELIVERY_TIME_LIMIT + 60
    if hard_limit >= settings.SES_DELIVERY_CLAIM_TIMEOUT:
        errors.append(
            Error(
                f"SES_DELIVERY_CLAIM_TIMEOUT ({settings.SES_DELIVERY_CLAIM_TIMEOUT} s) must exceed "
                f"the delivery task's hard time limit ({hard_limit} s).",
                hint="A live worker would lose its claim and the mail could be sent twice.",
                id="sending.E001",
            )
        )
    if not settings.SES_RETRY_DELAYS or min(settings.SES_RETRY_DELAYS) <= 0:
        errors.append(
            Error(
                "SES_RETRY_DELAYS must list positive numbers of seconds.",
                hint='For example "60,300,900,1800,3600".',
                id="sending.E002",
            )
        )
    if settings.SES_DELIVERY_BATCH < 1:
        errors.append(Error("SES_DELIVERY_BATCH must be at least 1.", id="sending.E003"))
    return errors


@register()
def check_smtpd(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """The submission server's certificate (when configured) and its limits."""
    errors: list[CheckMessage] = []
    if settings.SES_SMTPD_CERT_FILE or settings.SES_SMTPD_KEY_FILE:
        try:
            server_context()
        except ImproperlyConfigured as error:
            errors.append(
                Error(
                    str(error),
                    hint="Give both files, PEM, the key matching the certificate; or set neither "
                    "(then `manage.py smtpd` does not start).",
                    id="sending.E010",
                )
            )
    numbers = (
        "SES_SMTPD_MAX_CONNECTIONS SES_SMTPD_MAX_CONNECTIONS_PER_IP SES_SMTPD_MAX_COMMANDS "
        "SES_SMTPD_IDLE_TIMEOUT SES_SMTPD_SESSION_TIMEOUT SES_SMTPD_AUTH_FAILURES_PER_IP "
        "SES_SMTPD_AUTH_FAILURES_PER_USER SES_SMTPD_AUTH_FAILURE_WINDOW "
        "SES_SMTPD_AUTH_FAILURES_PER_SESSION SES_SMTPD_DB_THREADS"
    )
    for name in numbers.split(" "):
        if getattr(settings, name) < 1:
            errors.append(Error(f"{name} must be at least 1.", id="sending.E011"))
    return errors


@register()
def check_batch(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Batch sending's chunks, lease and warm-up schedule."""
    errors: list[CheckMessage] = []
    if settings.SES_BATCH_CHUNK < 1 or settings.SES_BATCH_HORIZON_SECONDS <= 0:
        errors.append(
            Error(
                "SES_BATCH_CHUNK must be at least 1 and SES_BATCH_HORIZON_SECONDS above 0.",
                id="sending.E020",
            )
        )
    schedule = settings.SES_WARMUP_SCHEDULE
    if settings.SES_WARMUP_SCHEDULE_INVALID or any(n < 1 for n in schedule):
        bad = ", ".join(settings.SES_WARMUP_SCHEDULE_INVALID + [str(n) for n in schedule if n < 1])
        errors.append(
            Error(
                f"SES_WARMUP_SCHEDULE must list daily caps of at least 1: not {bad}.",
                hint='For example "200,500,1000,5000"; empty turns warm-up off.',
                id="sending.E021",
            )
        )
    elif any(b < a for a, b in itertools.pairwise(schedule)):
        errors.append(
            Error(
                "SES_WARMUP_SCHEDULE must not decrease: each day's cap is at least the last.",
                id="sending.E022",
            )
        )
    for name in ("SES_WARMUP_MAX_BOUNCE_RATE", "SES_WARMUP_MAX_COMPLAINT_RATE"):
        if not 0 <= getattr(settings, name) <= 1:
            errors.append(Error(f"{name} is a fraction, 0 to 1 (0.05 is 5%).", id="sending.E023"))
    if settings.SES_BATCH_LEASE_SECONDS < 2:
        errors.append(
            Error(
                "SES_BATCH_LEASE_SECONDS must be at least 2.",
                hint="A worker renews it with each chunk; shorter, a live worker loses its task.",
                id="sending.E024",
            )
        )
    return errors
