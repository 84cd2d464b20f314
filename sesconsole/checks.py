from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    errors = []
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
def check_encryption_keys_deploy(app_configs, **kwargs):
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
def check_broker(app_configs, **kwargs):
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
def check_database(app_configs, **kwargs):
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [
            Warning(
                "The database is the embedded SQLite file.",
                hint="Set DATABASE_URL to a PostgreSQL database in production.",
                id="sesconsole.W003",
            )
        ]
    return []


@register(deploy=True)
def check_sender_domain_hosts(app_configs, **kwargs):
    """Sender domains are told to publish these hosts: they must be real ones."""
    warnings = []
    for name in ("SES_MX_HOST", "SES_SPF_DOMAIN"):
        value = getattr(settings, name)
        if value.endswith(".localhost"):
            warnings.append(
                Warning(
                    f"{name} is {value}, a name only this machine resolves.",
                    hint=f"Set {name} to the public host name of your service.",
                    id="sesconsole.W004",
                )
            )
    return warnings


@register()
def check_dns_nameservers(app_configs, **kwargs):
    from domains.dns import parse_nameserver

    errors = []
    for entry in settings.SES_DNS_NAMESERVERS:
        try:
            parse_nameserver(entry)
        except ImproperlyConfigured as error:
            errors.append(
                Error(
                    str(error),
                    hint='Use entries like "192.0.2.53", "127.0.0.1:5353" or "[::1]:53".',
                    id="sesconsole.E002",
                )
            )
    return errors


@register()
def check_delivery(app_configs, **kwargs):
    errors = []
    hard_limit = settings.SES_DELIVERY_TIME_LIMIT + 60
    if hard_limit >= settings.SES_DELIVERY_CLAIM_TIMEOUT:
        errors.append(
            Error(
                f"SES_DELIVERY_CLAIM_TIMEOUT ({settings.SES_DELIVERY_CLAIM_TIMEOUT} s) must exceed "
                f"the delivery task's hard time limit ({hard_limit} s).",
                hint="A live worker would lose its claim and the mail could be sent twice.",
                id="sesconsole.E003",
            )
        )
    if not settings.SES_RETRY_DELAYS or min(settings.SES_RETRY_DELAYS) <= 0:
        errors.append(
            Error(
                "SES_RETRY_DELAYS must list positive numbers of seconds.",
                hint='For example "60,300,900,1800,3600".',
                id="sesconsole.E004",
            )
        )
    if settings.SES_DELIVERY_BATCH < 1:
        errors.append(Error("SES_DELIVERY_BATCH must be at least 1.", id="sesconsole.E005"))
    return errors


@register()
def check_smtpd(app_configs, **kwargs):
    """The submission server's certificate (when configured) and its limits."""
    from sending.smtp.tls import server_context

    errors = []
    if settings.SES_SMTPD_CERT_FILE or settings.SES_SMTPD_KEY_FILE:
        try:
            server_context()
        except ImproperlyConfigured as error:
            errors.append(
                Error(
                    str(error),
                    hint="Give both files, PEM, the key matching the certificate; or set neither "
                    "(then `manage.py smtpd` does not start).",
                    id="sesconsole.E020",
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
            errors.append(Error(f"{name} must be at least 1.", id="sesconsole.E021"))
    return errors
