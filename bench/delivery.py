"""End-to-end delivery throughput: API acceptance, Celery workers, DKIM, SMTP to a sink.

    .venv/bin/python -m bench.delivery [--messages 5000] [--clients 16] [--worker-concurrency 2]

On PostgreSQL and Redis (DATABASE_URL / REDIS_URL as for bench.send_api), it
starts gunicorn, real Celery worker processes on the delivery queue and an
aiosmtpd sink in another process (reached as the configured relay, so no DNS
is involved), then:

1. end to end: N SendEmail calls from concurrent clients; the clock runs from
   the first request until every Delivery is `delivered`;
2. baseline, in the same run: one Python process builds, DKIM-signs (OpenSSL)
   and sends the same N messages over one reused connection to the same sink;
3. the DKIM signing cost per message (median over the N messages).

Prints messages per second for both and the ratio end-to-end / baseline.
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from bench.send_api import (
    BENCH_DOMAIN,
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    BenchError,
    Client,
    _libpq_url,
    _tail,
    bench_environment,
    create_fixtures,
    ensure_database,
    ensure_redis,
    free_port,
    migrate,
    start_gunicorn,
    stop_gunicorn,
    wait_ready,
)
from tests.tc3 import tc3_headers

BASE_DIR = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--messages", type=int, default=5000, help="messages to send (N)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent API clients")
    parser.add_argument(
        "--recipients",
        type=int,
        default=1,
        help="recipients per SendEmail call (each is one message delivered)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery processes")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this long")
    parser.add_argument(
        "--accept-first",
        action="store_true",
        help="accept all N first, then let the workers drain the queue: the delivery "
        "pipeline's own rate, without the API competing for the CPUs",
    )
    return parser.parse_args(argv)


def start_process(argv, env, log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    return subprocess.Popen(  # noqa: S603 - our own argv
        argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def start_sink(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "bench.smtp_sink", str(port)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.stdout.readline().strip() != "ready":
        raise BenchError("the SMTP sink did not start")
    return proc


def stop(proc: subprocess.Popen | None) -> str:
    if proc is None or proc.poll() is not None:
        return ""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def add_dkim_keys(account_id: int) -> None:
    from django.db import connections

    from domains.models import SenderDomain

    for domain in SenderDomain.objects.filter(account_id=account_id):
        domain.generate_keys()  # RSA-2048, the default
    connections.close_all()


def delivered_count(account_id: int) -> tuple[int, int]:
    """(deliveries, of them delivered) of the bench account."""
    from django.db.models import Count, Q

    from sending.models import Delivery

    counts = Delivery.objects.filter(account_id=account_id).aggregate(
        total=Count("pk"), delivered=Count("pk", filter=Q(status="delivered"))
    )
    return counts["total"], counts["delivered"]


class MultiClient(Client):
    """SendEmail to `recipients` new addresses per call."""

    def __init__(self, port, fixtures, recipients: int):
        super().__init__(port, fixtures)
        self.recipients = recipients

    def send_email(self) -> str | None:
        fx = self.fixtures
        params = {
            "FromEmailAddress": f"Bench <{fx.sender}>",
            "Destination": [
                f"u{secrets.token_hex(8)}@{BENCH_DOMAIN}" for _ in range(self.recipients)
            ],
            "Subject": "Benchmark message",
            "Template": {"TemplateID": fx.template_id, "TemplateData": '{"name": "x"}'},
            "TriggerType": 1,
        }
        body = json.dumps(params).encode()
        headers = tc3_headers(
            fx.secret_id, fx.secret_key, host=self.host, action="SendEmail", body=body
        )
        status, reply = self._exchange("POST", "/", body, headers)
        if status != 200 or b'"MessageId"' not in reply:
            return f"HTTP {status}: {reply[:300]!r}"
        return None


def send_all(clients: list[Client], n: int) -> tuple[int, str | None, float]:
    """N SendEmail calls across the clients; (errors, first error, seconds)."""
    remaining = [n]
    lock = threading.Lock()
    errors, first = [0], [None]

    def work(client):
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            failure = client.send_email()
            if failure:
                with lock:
                    errors[0] += 1
                    first[0] = first[0] or failure
                    remaining[0] += 1  # a refused call is retried: N messages get in

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors[0], first[0], time.perf_counter() - started


def baseline(account_id: int, sink_port: int) -> tuple[float, list[float]]:
    """One process: build, sign and send every message over one connection.

    Returns (seconds, signing seconds per message).
    """
    from django.db import connections

    from domains.models import SenderDomain
    from sending.build import mime
    from sending.build.dkim.sign import Signer
    from sending.models import Delivery, Message
    from sending.smtp.client import SmtpSession

    domain = SenderDomain.objects.get(account_id=account_id)
    messages = list(
        Message.objects.filter(account_id=account_id)
        .select_related("template_revision")
        .order_by("pk")
    )
    recipients = defaultdict(list)
    for message_id, address in Delivery.objects.filter(account_id=account_id).values_list(
        "message_id", "recipient"
    ):
        recipients[message_id].append(address)
    sign_times = []
    started = time.perf_counter()
    signer = Signer.for_domain(domain)
    with SmtpSession("127.0.0.1", "127.0.0.1", sink_port, tls="none") as session:
        for message in messages:
            raw = mime.build(message)
            t0 = time.perf_counter()
            signed = signer.sign(raw) + raw
            sign_times.append(time.perf_counter() - t0)
            for address in recipients[message.pk]:  # a transaction each, as delivery does
                result = session.send(f"bounce@{domain.name}", [address], signed)
                if result.error or not result.accepted:
                    raise BenchError(f"baseline send failed: {result}")
    elapsed = time.perf_counter() - started
    connections.close_all()
    return elapsed, sign_times


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if args.messages < 1 or args.clients < 1:
        raise BenchError("--messages and --clients must be positive")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    _libpq_url(database_url)
    ensure_database(database_url)
    ensure_redis(redis_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no tasks left from an earlier run

    web = worker = sink = None
    with tempfile.TemporaryDirectory(prefix="sesbench-") as var_dir:
        sink_port = free_port()
        env = bench_environment(database_url, redis_url, var_dir)
        env.update(
            SES_RELAY_URL=f"smtp://127.0.0.1:{sink_port}",
            SES_DELIVERY_SWEEP_SECONDS="5",
        )
        print("migrating ...", flush=True)
        migrate(env)
        os.environ.update(env)
        print("creating fixtures (with an RSA-2048 DKIM key) ...", flush=True)
        fixtures = create_fixtures()
        add_dkim_keys(fixtures.account_id)
        port = free_port()
        try:
            sink = start_sink(sink_port)
            web = start_gunicorn(env, port, args.web_workers, Path(var_dir) / "gunicorn.log")
            wait_ready(web, port, Path(var_dir) / "gunicorn.log")
            worker_log = Path(var_dir) / "worker.log"
            worker = start_process(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "sesconsole",
                    "worker",
                    "-Q",
                    # Held on an idle queue until the messages are in (--accept-first).
                    "bench-hold" if args.accept_first else "delivery",
                    "--concurrency",
                    str(args.worker_concurrency),
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env,
                worker_log,
            )
            k = args.recipients
            clients = [MultiClient(port, fixtures, k) for _ in range(args.clients)]
            print(
                f"end to end: {args.messages} messages, {k} per SendEmail, "
                f"{args.clients} clients ...",
                flush=True,
            )
            started = time.perf_counter()
            errors, first_error, send_seconds = send_all(clients, -(-args.messages // k))
            if first_error:
                print(f"  {errors} API calls refused and retried; first: {first_error[:200]}")
            if args.accept_first:
                from sesconsole.celery import app

                stop_gunicorn(web)
                web = None
                print("draining the queue ...", flush=True)
                started = time.perf_counter()
                if not app.control.add_consumer("delivery", reply=True, timeout=10):
                    raise BenchError(f"the worker did not answer\n{_tail(worker_log, 20)}")
            deadline = started + args.timeout
            while True:
                total, delivered = delivered_count(fixtures.account_id)
                if delivered >= args.messages:
                    break
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise BenchError(
                        f"only {delivered} of {total} delivered\n{_tail(worker_log, 20)}"
                    )
                time.sleep(0.05)
            end_to_end = time.perf_counter() - started
        finally:
            stop_gunicorn(web)
            stop(worker)
        print("baseline: one process, one connection ...", flush=True)
        base_seconds, sign_times = baseline(fixtures.account_id, sink_port)
        received = stop(sink).strip()

    n = -(-args.messages // args.recipients) * args.recipients
    e2e_rate, base_rate = n / end_to_end, n / base_seconds
    print()
    print(f"cpus: {os.cpu_count()}  database: PostgreSQL  broker: Redis  sink: {received}")
    calls = n // args.recipients
    print(
        f"API acceptance        {n / send_seconds:8.1f} msg/s ({calls} SendEmail calls with "
        f"{args.recipients} recipient(s) each in {send_seconds:.1f} s)"
    )
    if args.accept_first:
        print(f"delivery only         {e2e_rate:8.1f} msg/s ({end_to_end:.1f} s, queue drained)")
    else:
        label = "accept to delivered"
        print(f"end to end            {e2e_rate:8.1f} msg/s ({end_to_end:.1f} s, {label})")
    print(f"baseline (1 process)  {base_rate:8.1f} msg/s ({base_seconds:.1f} s)")
    print(f"DKIM signing          {statistics.median(sign_times) * 1000:8.3f} ms/msg (median)")
    what = "delivery only" if args.accept_first else "end to end"
    print(f"ratio {what} / baseline: {e2e_rate / base_rate:.2f} (target >= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
