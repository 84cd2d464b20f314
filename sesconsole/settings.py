"""Settings for sesconsole, read only from environment variables.

With nothing set the service runs on its embedded default: a SQLite file under
var/ and a Celery broker kept in a SQLite file (no server to install). Setting
DATABASE_URL, CELERY_BROKER_URL and REDIS_URL moves it onto PostgreSQL and Redis.
Every variable is documented in .env.example and the README.
"""

import os
import socket
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SES_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The default key is public; `check --deploy` flags it (security.W009).
SECRET_KEY = env.str(
    "SECRET_KEY", default="django-insecure-sesconsole-development-key-do-not-use-in-production"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "sesconsole",
    "accounts",
    "domains",
    "templates_app",
    "sending",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.CurrentAccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication attempts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sesconsole.urls"
WSGI_APPLICATION = "sesconsole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sesconsole" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sesconsole.context_processors.console",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sesconsole.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the
    # writer, IMMEDIATE transactions take the write lock up front instead of
    # failing half-way, and the timeout makes writers wait rather than error.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too, not shared in-memory SQLite: its table locks ignore
    # the timeout, and worker processes started by tests must see the data.
    # The process id keeps concurrent test runs apart.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-sesconsole-{os.getpid()}.sqlite3")}
elif env.bool("SES_DB_POOL", default=False):
    # The web process serves ASGI (sesconsole/asgi.py turns this on): Django runs
    # each request in a thread of its own, so a persistent connection would stay
    # behind with a finished thread and every request would open another, until
    # PostgreSQL refuses more clients. A pool per process keeps them bounded and
    # reused instead; Django requires CONN_MAX_AGE 0 with it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("SES_DB_POOL_SIZE", default=10),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Keeps several installs (or test runs) on one Redis database apart.
SES_REDIS_PREFIX = env.str("SES_REDIS_PREFIX", default="ses")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses a locked-out username/IP pair before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Brute-force protection: lock the (username, IP) pair, never the username
# alone, so an attacker elsewhere cannot keep the real user out, and lift the
# lock after a cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False

# --- HTTPS ------------------------------------------------------------------
# One switch for deployments behind TLS; the API at / must then be called
# over https too (HTTP would be redirected and the SDK would see a non-200).
SES_HTTPS = env.bool("SES_HTTPS", default=False)
SECURE_SSL_REDIRECT = SES_HTTPS
SESSION_COOKIE_SECURE = SES_HTTPS
CSRF_COOKIE_SECURE = SES_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SES_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SES_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
X_FRAME_OPTIONS = "DENY"

# --- i18n, static -----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- email (the service's own notices: invitations, password resets) --------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="sesconsole <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- secrets at rest ----------------------------------------------------------
# Fernet keys (urlsafe base64, 32 bytes), newest first; older ones still
# decrypt, so keys can be rotated. Empty: derived from SECRET_KEY, which the
# deploy check refuses.
SES_ENCRYPTION_KEYS = env.list("SES_ENCRYPTION_KEYS", default=[])

# --- API ----------------------------------------------------------------------
SES_API_TIMESTAMP_SKEW = env.int("SES_API_TIMESTAMP_SKEW", default=300)
SES_API_MAX_BODY = 8 * 1024 * 1024

# --- sender domains and DNS ---
# Every DNS lookup of the service (domain verification, MX routing) asks these
# servers ("host:port", comma-separated); empty: the system's resolvers.
SES_DNS_NAMESERVERS = env.list("SES_DNS_NAMESERVERS", default=[])
# Where the system's resolvers are read from when SES_DNS_NAMESERVERS is empty.
SES_DNS_RESOLV_CONF = env.str("SES_DNS_RESOLV_CONF", default="/etc/resolv.conf")
SES_DNS_TIMEOUT = env.float("SES_DNS_TIMEOUT", default=3.0)
SES_DNS_TRIES = env.int("SES_DNS_TRIES", default=2)
# What sender domains must publish: MX to the bounce host, SPF include.
SES_MX_HOST = env.str("SES_MX_HOST", default="mx.sesconsole.localhost")
SES_SPF_DOMAIN = env.str("SES_SPF_DOMAIN", default="spf.sesconsole.localhost")
SES_DOMAIN_PENDING_HOURS = env.int("SES_DOMAIN_PENDING_HOURS", default=72)
SES_DOMAIN_PENDING_RECHECK_MINUTES = env.int("SES_DOMAIN_PENDING_RECHECK_MINUTES", default=15)
SES_DOMAIN_VERIFIED_RECHECK_HOURS = env.int("SES_DOMAIN_VERIFIED_RECHECK_HOURS", default=24)

# --- templates and their review ---
SES_TEMPLATE_MAX_BYTES = env.int("SES_TEMPLATE_MAX_BYTES", default=512 * 1024)
# Business days for review due times: Monday is 0.
SES_REVIEW_WORKDAYS = [
    int(d) for d in env.list("SES_REVIEW_WORKDAYS", default=["0", "1", "2", "3", "4"])
]
SES_REVIEW_HOLIDAYS = env.list("SES_REVIEW_HOLIDAYS", default=[])
SES_REVIEW_DAY_END = env.str("SES_REVIEW_DAY_END", default="18:00")

# --- sending ---
# Suspension (the seed's 8%): share of recent recipients blocklisted after a
# hard bounce, over a window, once an account has sent to enough recipients.
SES_SUSPEND_BOUNCE_PERCENT = env.float("SES_SUSPEND_BOUNCE_PERCENT", default=8.0)
SES_SUSPEND_WINDOW_DAYS = env.int("SES_SUSPEND_WINDOW_DAYS", default=7)
SES_SUSPEND_MIN_RECIPIENTS = env.int("SES_SUSPEND_MIN_RECIPIENTS", default=100)
SES_BLOCKLIST_DAYS = env.int("SES_BLOCKLIST_DAYS", default=180)
SES_MESSAGE_RETENTION_DAYS = env.int("SES_MESSAGE_RETENTION_DAYS", default=30)

# --- delivery ---
SES_SIMULATOR_DOMAIN = env.str("SES_SIMULATOR_DOMAIN", default="simulator.sesconsole.localhost")
# smtp://[user:password@]host:port (STARTTLS) or smtps://... (implicit TLS): a smarthost.
SES_RELAY_URL = env.str("SES_RELAY_URL", default="")
SES_MX_PORT = env.int("SES_MX_PORT", default=25)
SES_HELO_NAME = env.str("SES_HELO_NAME", default="") or socket.getfqdn()
SES_SMTP_TIMEOUT = env.int("SES_SMTP_TIMEOUT", default=60)
# Like other MTAs, opportunistic TLS to recipients' MX hosts does not verify
# certificates (most would fail); the relay, a host we chose, is verified.
SES_MX_TLS_VERIFY = env.bool("SES_MX_TLS_VERIFY", default=False)
SES_RELAY_TLS_VERIFY = env.bool("SES_RELAY_TLS_VERIFY", default=True)
# RFC 5321 4.5.3.2.6 gives the reply to the final dot ten minutes.
SES_SMTP_DATA_TIMEOUT = env.int("SES_SMTP_DATA_TIMEOUT", default=600)
# The local address outgoing connections are made from ("" lets the system choose).
SES_SMTP_SOURCE_ADDRESS = env.str("SES_SMTP_SOURCE_ADDRESS", default="")
# How long a session stays open after a batch for the next one to the same host.
SES_SMTP_CONNECTION_CACHE_SECONDS = env.float("SES_SMTP_CONNECTION_CACHE_SECONDS", default=2.0)
# Waits after the 1st, 2nd, ... failed attempt (seconds, jittered 20%); the last repeats.
_retry_delays = env.list(
    "SES_RETRY_DELAYS", default=["60", "300", "900", "1800", "3600", "7200", "14400"]
)
# Unparseable entries leave the list empty, which system check E004 reports.
SES_RETRY_DELAYS = (
    [int(s) for s in _retry_delays] if all(s.strip().isdigit() for s in _retry_delays) else []
)
# Deferred mail older than this bounces (soft) with its last reason (the seed: 72 hours).
SES_DELIVERY_EXPIRY_HOURS = env.float("SES_DELIVERY_EXPIRY_HOURS", default=72.0)
SES_DELIVERY_BATCH = env.int("SES_DELIVERY_BATCH", default=50)
# A delivery task stops claiming after this many seconds and hands on the rest.
SES_DELIVERY_TASK_BUDGET = env.int("SES_DELIVERY_TASK_BUDGET", default=60)
SES_DELIVERY_TIME_LIMIT = env.int("SES_DELIVERY_TIME_LIMIT", default=900)
# A claim older than this is a dead worker's: its mail goes back to the queue.
# It must exceed the task's hard time limit (SES_DELIVERY_TIME_LIMIT + 60).
SES_DELIVERY_CLAIM_TIMEOUT = env.int("SES_DELIVERY_CLAIM_TIMEOUT", default=1200)
SES_DELIVERY_SWEEP_SECONDS = env.float("SES_DELIVERY_SWEEP_SECONDS", default=30.0)
# A delivery task waits this long after it is published, gathering the mail accepted
# meanwhile into its batch (with Redis, one task waits per destination).
SES_DELIVERY_GATHER_SECONDS = env.float("SES_DELIVERY_GATHER_SECONDS", default=0.2)

# --- batch sending ------------------------------------------------------------
# Recipients a task expands per transaction (a few queries each), and how far ahead
# of the account's rate it books them: a chunk holds at most this many seconds of the
# rate, so transactional mail never queues long behind a batch.
SES_BATCH_CHUNK = env.int("SES_BATCH_CHUNK", default=1000)
SES_BATCH_HORIZON_SECONDS = env.float("SES_BATCH_HORIZON_SECONDS", default=10.0)
# A worker's hold on a task it is expanding; a killed worker's task is taken up again after it.
SES_BATCH_LEASE_SECONDS = env.int("SES_BATCH_LEASE_SECONDS", default=120)
SES_BATCH_SWEEP_SECONDS = env.float("SES_BATCH_SWEEP_SECONDS", default=60.0)
SES_RECEIVER_MAX_LISTS = env.int("SES_RECEIVER_MAX_LISTS", default=200)
SES_RECEIVER_MAX_ADDRESSES = env.int("SES_RECEIVER_MAX_ADDRESSES", default=5_000_000)
SES_IMPORT_DIR = Path(env.str("SES_IMPORT_DIR", default=str(VAR_DIR / "imports")))
# Warm-up of new sender domains: the daily cap of each day of sending, then no cap.
# In the spirit of the schedules large providers publish for new IPs and domains.
# Empty (SES_WARMUP_SCHEDULE=) turns warm-up off; entries that are not whole numbers are
# reported by `manage.py check` (sending.E021) rather than failing here.
_WARMUP = [
    n.strip()
    for n in env.list(
        "SES_WARMUP_SCHEDULE",
        default=[
            *("200", "500", "1000", "2000", "5000", "10000", "20000", "50000"),
            *("100000", "200000", "500000", "1000000"),
        ],
    )
    if n.strip()
]
SES_WARMUP_SCHEDULE = [int(n) for n in _WARMUP if n.isdigit()]
SES_WARMUP_SCHEDULE_INVALID = [n for n in _WARMUP if not n.isdigit()]
# A day over either rate takes the cap a step back; a day within both, a step on.
SES_WARMUP_MAX_BOUNCE_RATE = env.float("SES_WARMUP_MAX_BOUNCE_RATE", default=0.05)
SES_WARMUP_MAX_COMPLAINT_RATE = env.float("SES_WARMUP_MAX_COMPLAINT_RATE", default=0.001)

# --- SMTP submission (manage.py smtpd) ---
# Listens on one STARTTLS port and one implicit-TLS port (RFC 8314) of this address.
SES_SMTPD_BIND = env.str("SES_SMTPD_BIND", default="127.0.0.1")
SES_SMTPD_STARTTLS_PORT = env.int("SES_SMTPD_STARTTLS_PORT", default=2587)
SES_SMTPD_TLS_PORT = env.int("SES_SMTPD_TLS_PORT", default=2465)
# The name clients connect to (its certificate's name), shown on the console and in
# the greeting; default: the bind address, or this host's FQDN when that is a wildcard.
SES_SMTPD_HOSTNAME = env.str("SES_SMTPD_HOSTNAME", default="") or (
    socket.getfqdn() if SES_SMTPD_BIND in ("", "0.0.0.0", "::") else SES_SMTPD_BIND  # noqa: S104
)
# PEM certificate (chain) and private key; `make run` makes a self-signed pair.
SES_SMTPD_CERT_FILE = env.str("SES_SMTPD_CERT_FILE", default="")
SES_SMTPD_KEY_FILE = env.str("SES_SMTPD_KEY_FILE", default="")
SES_SMTPD_MAX_CONNECTIONS = env.int("SES_SMTPD_MAX_CONNECTIONS", default=1000)
SES_SMTPD_MAX_CONNECTIONS_PER_IP = env.int("SES_SMTPD_MAX_CONNECTIONS_PER_IP", default=20)
SES_SMTPD_MAX_COMMANDS = env.int("SES_SMTPD_MAX_COMMANDS", default=1000)
SES_SMTPD_IDLE_TIMEOUT = env.int("SES_SMTPD_IDLE_TIMEOUT", default=120)
SES_SMTPD_SESSION_TIMEOUT = env.int("SES_SMTPD_SESSION_TIMEOUT", default=900)
# Failed logins per client address and per user name within the window (seconds)
# before every login from there, or as that user, is refused for the rest of it;
# and per connection before it is closed.
SES_SMTPD_AUTH_FAILURES_PER_IP = env.int("SES_SMTPD_AUTH_FAILURES_PER_IP", default=10)
SES_SMTPD_AUTH_FAILURES_PER_USER = env.int("SES_SMTPD_AUTH_FAILURES_PER_USER", default=20)
SES_SMTPD_AUTH_FAILURE_WINDOW = env.int("SES_SMTPD_AUTH_FAILURE_WINDOW", default=900)
SES_SMTPD_AUTH_FAILURES_PER_SESSION = env.int("SES_SMTPD_AUTH_FAILURES_PER_SESSION", default=3)
# Threads (and so at most as many database connections) for logins and accepting mail.
SES_SMTPD_DB_THREADS = env.int("SES_SMTPD_DB_THREADS", default=8)

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
)
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=REDIS_URL or f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}",
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues are named for their work; `make run` starts one worker on all of them,
# production may give each its own workers.
CELERY_TASK_ROUTES = {
    "sesconsole.tasks.*": {"queue": "maintenance"},
    "domains.tasks.*": {"queue": "dns"},
    "sending.deliver_domain": {"queue": "delivery"},
    "sending.*": {"queue": "maintenance"},
}
CELERY_TASK_ANNOTATIONS = {
    "sending.deliver_domain": {
        "soft_time_limit": SES_DELIVERY_TIME_LIMIT,
        "time_limit": SES_DELIVERY_TIME_LIMIT + 60,
    }
}
SES_CELERY_QUEUES = ["default", "delivery", "maintenance", "dns"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "prune-rate-windows": {"task": "sesconsole.tasks.prune_rate_windows", "schedule": 600.0},
    "recheck-domains": {"task": "domains.tasks.recheck_domains", "schedule": 300.0},
    "check-suspensions": {"task": "sending.tasks.check_suspensions", "schedule": 900.0},
    "purge-message-bodies": {"task": "sending.tasks.purge_message_bodies", "schedule": 3600.0},
    "purge-expired-blocks": {"task": "sending.tasks.purge_expired_blocks", "schedule": 3600.0},
    "sweep-batches": {"task": "sending.sweep_batches", "schedule": SES_BATCH_SWEEP_SECONDS},
    "evaluate-warmup": {"task": "sending.evaluate_warmup", "schedule": 600.0},
    "sweep-imports": {"task": "sending.sweep_imports", "schedule": 60.0},
    "sweep-deliveries": {
        "task": "sending.sweep_deliveries",
        "schedule": SES_DELIVERY_SWEEP_SECONDS,
    },
}
CELERY_TIMEZONE = TIME_ZONE

# --- logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Usernames are email addresses; lower-case them so "Alice@x" and "alice@x"
# share one lockout counter.
AXES_USERNAME_CALLABLE = "accounts.axes.username_from_request"
