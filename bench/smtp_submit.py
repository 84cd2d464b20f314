"""SMTP submission throughput against a bare aiosmtpd server, on PostgreSQL and Redis.

    .venv/bin/python -m bench.smtp_submit [--seconds N] [--clients 16]

Starts, each in its own process on free ports of 127.0.0.1 with the same
self-signed certificate: `manage.py smtpd` (the submission server), and a plain
aiosmtpd server with the same kind of ports (STARTTLS and implicit TLS, AUTH
accepting anyone) that accepts every message and discards it: the ceiling of
aiosmtpd with TLS on this machine. Then concurrent clients (smtplib, one
connection each over TLS, signed in once) send messages for a fixed time to each
in turn. Prints messages per second, p50/p99 latency and the ratio
submission/baseline. See bench/README.md.
"""

import argparse
import asyncio
import contextlib
import email.message
import email.policy
import os
import platform
import secrets
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bench.send_api import (
    BASE_DIR,
    BIG,
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    HOST,
    BenchError,
    Result,
    _libpq_url,
    _tail,
    bench_environment,
    ensure_database,
    ensure_redis,
    free_port,
    migrate,
    print_results,
    redact,
    run_phase,
)

BENCH_ACCOUNT = "bench-smtp"
BENCH_DOMAIN = "smtp.bench.example"
BENCH_SENDER = f"bench@{BENCH_DOMAIN}"
PASSWORD = "Bench4Smtp7Pass"
TEXT = (
    "Hello,\n\nthank you for your order. It was received and will be shipped within two "
    "working days; you will get another message with the tracking number then.\n\n"
    "Kind regards,\nthe shop\n"
)


# --- the baseline server (this script in another process) ------------------------------


class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: discarded"


def _accept_anyone(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True, auth_data=auth_data)


def baseline_server(starttls_port: int, tls_port: int, cert: str, key: str) -> int:
    """aiosmtpd as it comes, with the ports and TLS of the submission server."""
    from aiosmtpd.smtp import SMTP

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def serve():
        loop = asyncio.get_running_loop()

        def factory(implicit):
            return lambda: SMTP(
                Discard(),
                hostname=HOST,
                tls_context=None if implicit else context,
                require_starttls=not implicit,
                auth_required=True,
                auth_require_tls=not implicit,
                authenticator=_accept_anyone,
                data_size_limit=4 * 1024 * 1024,
                loop=loop,
            )

        servers = [
            await loop.create_server(factory(False), HOST, starttls_port),
            await loop.create_server(factory(True), HOST, tls_port, ssl=context),
        ]
        print("ready", flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        for server in servers:
            server.close()

    warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH without STARTTLS on TLS
    asyncio.run(serve())
    return 0


# --- fixtures ----------------------------------------------------------------------------


def create_fixtures() -> int:
    """A fresh bench-smtp account with a verified sender that has an SMTP password."""
    import django

    django.setup()
    from django.db import connections

    from accounts.models import Account
    from domains.models import DomainStatus, SenderAddress, SenderDomain
    from sending.models import Message

    old = Account.objects.filter(name=BENCH_ACCOUNT).first()
    if old:
        Message.objects.filter(account=old).delete()
        SenderAddress.objects.filter(account=old).delete()
        old.delete()
    account = Account.objects.create(
        name=BENCH_ACCOUNT,
        daily_quota=BIG,
        send_rate_per_second=BIG,
        hourly_per_recipient=BIG,
        api_rate_per_second=BIG,
        allow_custom_content=True,
    )
    domain = SenderDomain.objects.create(
        account=account,
        name=BENCH_DOMAIN,
        status=DomainStatus.VERIFIED,
        verified_at=datetime.now(UTC),
    )
    sender = SenderAddress.objects.create(
        account=account, domain=domain, email=BENCH_SENDER, sender_name="Bench"
    )
    sender.set_smtp_password(PASSWORD)
    connections.close_all()
    return account.pk


def stored_messages(account_id: int) -> int:
    from django.db import connections

    from sending.models import Message

    try:
        return Message.objects.filter(account_id=account_id).count()
    finally:
        connections.close_all()


# --- processes ---------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    process: subprocess.Popen
    log: Path
    starttls_port: int
    tls_port: int


def start_server(label, argv, env, var_dir) -> Server:
    starttls_port, tls_port = free_port(), free_port()
    log = Path(var_dir) / f"{label}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [sys.executable, *argv(starttls_port, tls_port)],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(label, process, log, starttls_port, tls_port)


def wait_ready(server: Server, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.label} exited:\n{_tail(server.log)}")
        try:
            socket.create_connection((HOST, server.tls_port), timeout=1).close()
            socket.create_connection((HOST, server.starttls_port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"{server.label} did not listen within {timeout:.0f}s:\n{_tail(server.log)}")


def stop_server(server: Server | None) -> None:
    if server is None or server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


# --- clients -----------------------------------------------------------------------------


def bench_message(recipient: str) -> bytes:
    """About 1.5 KB: text and HTML alternatives, as applications send."""
    mail = email.message.EmailMessage()
    mail["From"] = f"Bench <{BENCH_SENDER}>"
    mail["To"] = recipient
    mail["Subject"] = "Your order was received"
    mail.set_content(TEXT)
    mail.add_alternative(f"<p>{TEXT.replace(chr(10) * 2, '</p><p>')}</p>", subtype="html")
    return mail.as_bytes(policy=email.policy.SMTP)


class Client:
    """One SMTP connection over TLS, signed in once, reopened after a failure."""

    def __init__(self, server: Server, implicit: bool):
        self.server = server
        self.implicit = implicit
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the bench's own self-signed certificate
        self.smtp = None

    def _connect(self):
        if self.implicit:
            smtp = smtplib.SMTP_SSL(HOST, self.server.tls_port, context=self.context, timeout=30)
        else:
            smtp = smtplib.SMTP(HOST, self.server.starttls_port, timeout=30)
            smtp.starttls(context=self.context)
        smtp.login(BENCH_SENDER, PASSWORD)
        return smtp

    def send(self) -> str | None:
        """None on success, else a description of the failure."""
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            recipient = f"u{secrets.token_hex(8)}@rcpt.{BENCH_DOMAIN}"
            code, reply = self.smtp.mail(BENCH_SENDER)
            if code == 250:
                code, reply = self.smtp.rcpt(recipient)
            if code == 250:
                code, reply = self.smtp.data(bench_message(recipient))
            else:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return f"{type(exc).__name__}: {exc}"
        if code != 250:
            return f"{code} {reply.decode(errors='replace')}"
        return None

    def close(self):
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None


# --- main ----------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.smtp_submit",
        description="Messages per second accepted by the SMTP submission server vs aiosmtpd.",
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent TLS client connections")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds (each server)")
    parser.add_argument(
        "--implicit-tls", action="store_true", help="use the implicit-TLS port, not STARTTLS"
    )
    parser.add_argument("--baseline-server", nargs=4, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def submission_argv(starttls_port: int, tls_port: int) -> list[str]:
    return [
        "manage.py",
        "smtpd",
        "--starttls-port",
        str(starttls_port),
        "--tls-port",
        str(tls_port),
    ]


def baseline_argv(cert: str, key: str, starttls_port: int, tls_port: int) -> list[str]:
    return [
        "-m",
        "bench.smtp_submit",
        "--baseline-server",
        *(str(v) for v in (starttls_port, tls_port, cert, key)),
    ]


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.baseline_server:
        starttls, tls, cert, key = args.baseline_server
        return baseline_server(int(starttls), int(tls), cert, key)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    if args.clients < 1 or args.seconds <= 0:
        raise BenchError("--clients and --seconds must be positive")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    _libpq_url(database_url)
    for name, url in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            print(f"note: {name} points at {urlsplit(url).hostname}, not this machine")
    ensure_database(database_url)
    ensure_redis(redis_url)

    from sending.smtp.submission.certificate import write_self_signed

    servers: list[Server] = []
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="sesbench-smtp-") as var_dir:
        cert, key = str(Path(var_dir) / "cert.pem"), str(Path(var_dir) / "key.pem")
        write_self_signed(cert, key, [HOST])
        env = bench_environment(database_url, redis_url, var_dir)
        env.update(
            SES_SMTPD_CERT_FILE=cert,
            SES_SMTPD_KEY_FILE=key,
            SES_SMTPD_BIND=HOST,
            SES_SMTPD_MAX_CONNECTIONS_PER_IP=str(max(20, 2 * args.clients)),
            SES_SMTPD_MAX_COMMANDS=str(10**9),
            SES_SMTPD_SESSION_TIMEOUT=str(24 * 3600),
        )
        print("migrating ...", flush=True)
        migrate(env)
        os.environ.update(env)
        print("creating fixtures ...", flush=True)
        account_id = create_fixtures()
        try:
            print("starting the submission server and the baseline ...", flush=True)
            servers = [
                start_server("submission", submission_argv, env, var_dir),
                start_server("aiosmtpd", partial(baseline_argv, cert, key), env, var_dir),
            ]
            for server in servers:
                wait_ready(server)
            for server in servers:
                clients = [Client(server, args.implicit_tls) for _ in range(args.clients)]
                print(f"{server.label}: warm-up {args.warmup:g}s (sign-ins) ...", flush=True)
                warm = run_phase(clients, "send", args.warmup)
                if warm.first_error:
                    print(f"  warm-up error: {warm.first_error}")
                print(f"{server.label}: {args.seconds:g}s x {args.clients} clients ...", flush=True)
                results[server.label] = run_phase(clients, "send", args.seconds)
                for client in clients:
                    client.close()
        finally:
            for server in servers:
                stop_server(server)
        stored = stored_messages(account_id)

    report(args, database_url, redis_url, results)
    print(f"messages stored for the bench account: {stored} (incl. warm-up)")
    return 0 if results.get("submission") and results["submission"].latencies else 1


def report(args, database_url, redis_url, results: dict[str, Result]) -> None:
    import aiosmtpd

    print()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"aiosmtpd {aiosmtpd.__version__}, {args.clients} TLS clients "
        f"({'implicit TLS' if args.implicit_tls else 'STARTTLS'}), {args.seconds:g}s per server"
    )
    print(f"database: {redact(database_url)}")
    print(f"redis:    {redact(redis_url)}")
    print()
    print_results(results, ("server", "messages", "msg/s"), "submission", "aiosmtpd")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("bench: interrupted")
