"""SendEmail throughput against gunicorn on PostgreSQL and Redis.

    .venv/bin/python -m bench.send_api [--seconds N] [--clients 32]

Starts gunicorn (sync workers, 2 per CPU) on a free port of 127.0.0.1, then
drives it with concurrent client threads: first `GET /healthz` (a bare Django
JSON view: the ceiling of this stack on this machine), then signed SendEmail
calls. Prints requests per second, p50/p99 latency and the throughput ratio
SendEmail/healthz. See bench/README.md.
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.tc3 import tc3_headers

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sesbench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
HOST = "127.0.0.1"
BENCH_ACCOUNT = "bench"
BENCH_DOMAIN = "bench.example"
BENCH_SENDER = f"bench@{BENCH_DOMAIN}"
REVIEWER_EMAIL = f"bench-reviewer@{BENCH_DOMAIN}"
BIG = 10**9

# 60 plain words and one variable: passes the transactional word minimum and
# the variable ratio of the template content check.
TEMPLATE_HTML = (
    "<p>Hello {{name}},</p>"
    "<p>Thank you for using our service today. This message confirms that your recent "
    "request was received and recorded by our system. Your settings were saved and "
    "nothing else is needed from you at this time. If you have questions about this "
    "note, please reply to this address and a member of our team will answer you "
    "within one working day. Kind regards from the operations team.</p>"
)


class BenchError(SystemExit):
    """A clear message for the user instead of a traceback."""

    def __init__(self, message: str):
        super().__init__(f"bench: {message}")


# --- environment ----------------------------------------------------------------------


def redact(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}:***@{netloc}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _libpq_url(url: str, dbname: str | None = None) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "psql"):
        raise BenchError(f"DATABASE_URL must be a PostgreSQL URL, not {redact(url)}")
    path = parts.path if dbname is None else f"/{dbname}"
    return urlunsplit(parts._replace(scheme="postgresql", path=path))


def ensure_database(url: str) -> None:
    """Check that PostgreSQL answers and create the database if it is missing."""
    import psycopg
    from psycopg import sql

    dbname = urlsplit(url).path.lstrip("/")
    if not dbname:
        raise BenchError(f"DATABASE_URL names no database: {redact(url)}")
    try:
        with psycopg.connect(
            _libpq_url(url, "postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [dbname]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                print(f"created database {dbname}")
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {redact(url)}: {str(exc).strip()}\n"
            "Start it, or point DATABASE_URL at a running server."
        ) from exc


def ensure_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise BenchError(
            f"Redis is not reachable at {redact(url)}: {exc}\n"
            "Start it, or point REDIS_URL at a running server."
        ) from exc


def bench_environment(database_url: str, redis_url: str, var_dir: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    static_root = Path(var_dir) / "static"
    static_root.mkdir(exist_ok=True)  # whitenoise warns about a missing one
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="sesconsole.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SES_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS=HOST,
        SES_VAR_DIR=var_dir,
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchError(f"manage.py migrate failed:\n{done.stdout}{done.stderr}")


# --- fixtures (Django in this process, before any client thread starts) -----------------


@dataclass
class Fixtures:
    account_id: int
    secret_id: str
    secret_key: str
    template_id: int
    sender: str


def create_fixtures() -> Fixtures:
    """A fresh bench account, every run: its messages and counters start at zero."""
    import django

    django.setup()
    from django.db import connections, transaction

    from accounts.models import Account, ApiKey, User
    from domains.models import DomainStatus, SenderAddress, SenderDomain
    from sending.models import Message
    from templates_app import workflow
    from templates_app.models import RevisionStatus

    old = Account.objects.filter(name=BENCH_ACCOUNT).first()
    if old:
        # Messages first (and their deliveries, events, attachments); sender
        # addresses before the domains that PROTECT them; then the rest.
        Message.objects.filter(account=old).delete()
        SenderAddress.objects.filter(account=old).delete()
        old.delete()
    with transaction.atomic():
        account = Account.objects.create(
            name=BENCH_ACCOUNT,
            daily_quota=BIG,
            send_rate_per_second=BIG,
            hourly_per_recipient=BIG,
            api_rate_per_second=BIG,
            max_templates=BIG,
        )
        domain = SenderDomain.objects.create(
            account=account,
            name=BENCH_DOMAIN,
            status=DomainStatus.VERIFIED,
            verified_at=datetime.now(UTC),
        )
        SenderAddress.objects.create(
            account=account, domain=domain, email=BENCH_SENDER, sender_name="Bench"
        )
        reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
        if reviewer is None:
            reviewer = User.objects.create_user(email=REVIEWER_EMAIL, is_reviewer=True)
        template = workflow.create_template(
            account, "bench", "transactional", TEMPLATE_HTML, "", submit=True
        )
        template.latest.refresh_from_db()
        if template.latest.status != RevisionStatus.PENDING:
            raise BenchError(
                f"the bench template was not accepted for review: {template.latest.findings}"
            )
    workflow.decide(template.latest, reviewer, "approved")
    key, secret_key = ApiKey.issue(account, description="bench")
    fixtures = Fixtures(account.pk, key.secret_id, secret_key, template.pk, BENCH_SENDER)
    connections.close_all()
    return fixtures


def stored_messages(account_id: int) -> int:
    from django.db import connections

    from sending.models import Message

    try:
        return Message.objects.filter(account_id=account_id).count()
    finally:
        connections.close_all()


# --- gunicorn ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our own argv, no shell
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sesconsole.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own session: a Ctrl-C reaches only this script, which stops it.
        start_new_session=True,
    )
    log.close()
    return proc


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_ready(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f}s:\n{_tail(log_path)}")


def stop_gunicorn(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the master stops its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- requests ---------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    started: float = 0.0
    finished: float = 0.0


class Client:
    """One HTTP/1.1 connection per client thread.

    http.client reopens the connection by itself whenever the server closes it
    (gunicorn's sync workers answer `Connection: close`), so both endpoints are
    measured the same way: a TCP connect per request with sync workers,
    keep-alive with a server that offers it.
    """

    def __init__(self, port: int, fixtures: Fixtures | None):
        self.port = port
        self.host = f"{HOST}:{port}"
        self.fixtures = fixtures
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def _exchange(self, method, path, body=None, headers=None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            reply = self.conn.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # a fresh connection next time
            raise

    def healthz(self) -> str | None:
        """None on success, else a description of the failure."""
        status, body = self._exchange("GET", "/healthz")
        if status != 200:
            return f"HTTP {status}: {body[:500]!r}"
        return None

    def send_email(self) -> str | None:
        fx = self.fixtures
        params = {
            "FromEmailAddress": f"Bench <{fx.sender}>",
            "Destination": [f"u{secrets.token_hex(8)}@{BENCH_DOMAIN}"],
            "Subject": "Benchmark message",
            "Template": {"TemplateID": fx.template_id, "TemplateData": '{"name": "x"}'},
            "TriggerType": 1,
        }
        body = json.dumps(params).encode()
        headers = tc3_headers(
            fx.secret_id, fx.secret_key, host=self.host, action="SendEmail", body=body
        )
        status, reply = self._exchange("POST", "/", body, headers)
        if status != 200:
            return f"HTTP {status}: {reply[:500]!r}"
        try:
            response = json.loads(reply)["Response"]
        except (ValueError, KeyError, TypeError):
            return f"not a Tencent reply: {reply[:500]!r}"
        if not response.get("MessageId"):
            return reply[:500].decode(errors="replace")
        return None


def run_phase(clients: list[Client], call: str | tuple[str, ...], seconds: float) -> Result:
    """Every client calls `call` (or cycles through several) until the deadline."""
    calls = (call,) if isinstance(call, str) else call
    result = Result()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    deadline = 0.0

    def worker(client: Client) -> None:
        latencies, errors, first_error = [], 0, None
        start.wait()
        i = 0
        while time.perf_counter() < deadline:
            fn = getattr(client, calls[i % len(calls)])
            i += 1
            t0 = time.perf_counter()
            try:
                failure = fn()
            except Exception as exc:  # counted and shown as an error
                failure = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - t0
            if failure is None:
                latencies.append(elapsed)
            else:
                errors += 1
                first_error = first_error or failure
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    result.started = time.perf_counter()
    deadline = result.started + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.finished = time.perf_counter()
    return result


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 if empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n * q / 100)
    return sorted_values[int(rank) - 1]


# --- main -------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.send_api",
        description="SendEmail requests per second against gunicorn on PostgreSQL and Redis.",
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds (both endpoints)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers"
    )
    return parser.parse_args(argv)


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    # Ctrl-C and a plain `kill` both unwind through the `finally` that stops
    # gunicorn (also when started from a shell that ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    if args.clients < 1 or args.seconds <= 0 or args.workers < 1:
        raise BenchError("--clients, --seconds and --workers must be positive")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    _libpq_url(database_url)  # refuses anything but PostgreSQL
    for name, url in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            print(f"note: {name} points at {urlsplit(url).hostname}, not this machine")
    ensure_database(database_url)
    ensure_redis(redis_url)

    proc = None
    with tempfile.TemporaryDirectory(prefix="sesbench-") as var_dir:
        env = bench_environment(database_url, redis_url, var_dir)
        print("migrating ...", flush=True)
        migrate(env)
        os.environ.update(env)  # Django in this process: the same settings as the server
        print("creating fixtures ...", flush=True)
        fixtures = create_fixtures()

        port = free_port()
        log_path = Path(var_dir) / "gunicorn.log"
        try:
            print(f"starting gunicorn on {HOST}:{port} with {args.workers} workers ...", flush=True)
            proc = start_gunicorn(env, port, args.workers, log_path)
            wait_ready(proc, port, log_path)
            clients = [Client(port, fixtures) for _ in range(args.clients)]

            print(f"warm-up {args.warmup:g}s ...", flush=True)
            warm = run_phase(clients, ("healthz", "send_email"), args.warmup)
            if warm.first_error:
                print(f"  warm-up error: {warm.first_error}")
            results = {}
            for label, call in (("GET /healthz", "healthz"), ("SendEmail", "send_email")):
                print(f"{label}: {args.seconds:g}s x {args.clients} clients ...", flush=True)
                results[label] = run_phase(clients, call, args.seconds)
        finally:
            stop_gunicorn(proc)
        if proc is not None and proc.returncode not in (0, -signal.SIGTERM):
            print(f"note: gunicorn exited with {proc.returncode}:\n{_tail(log_path, 10)}")
        sends_ok = results["SendEmail"].latencies
        stored = stored_messages(fixtures.account_id)

    report(args, database_url, redis_url, results)
    print(f"messages stored for the bench account: {stored} (incl. warm-up)")
    if not sends_ok:
        return 1
    return 0


def report(args, database_url, redis_url, results: dict[str, Result]) -> None:
    import gunicorn

    print()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"gunicorn {gunicorn.__version__} ({args.workers} sync workers), "
        f"{args.clients} clients, {args.seconds:g}s per endpoint"
    )
    print(f"database: {redact(database_url)}")
    print(f"redis:    {redact(redis_url)}")
    print()
    print_results(results, ("endpoint", "requests", "req/s"), "SendEmail", "GET /healthz")


def print_results(results: dict[str, Result], columns, measured: str, baseline: str) -> None:
    """The table of phases (count, errors, rate, p50, p99), the ratio measured/baseline,
    and each phase's first error. `columns`: the names of the label, count and rate."""
    name, count, unit = columns
    header = f"{name:<14}{count:>10}{'errors':>8}{unit:>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    rates = {}
    for label, res in results.items():
        lat = sorted(res.latencies)
        elapsed = max(res.finished - res.started, 1e-9)
        rates[label] = len(lat) / elapsed
        print(
            f"{label:<14}{len(lat):>10}{res.errors:>8}{rates[label]:>10.1f}"
            f"{percentile(lat, 50) * 1000:>9.1f}{percentile(lat, 99) * 1000:>9.1f}"
        )
    print()
    base = rates.get(baseline) or 0
    ratio = rates.get(measured, 0) / base if base else 0.0
    short = baseline.split()[-1].strip("/")
    print(f"ratio {measured}/{short}: {ratio:.2f}")
    for label, res in results.items():
        if res.first_error:
            print(f"first {label} error: {res.first_error}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("bench: interrupted")
