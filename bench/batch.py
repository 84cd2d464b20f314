"""Batch sending: import, expansion and delivery of big recipient lists.

    .venv/bin/python bench/batch.py [--recipients 100000] [--million 1000000] [--deliver 20000]

On PostgreSQL and Redis (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL: bench/README.md), in one
run, each figure against a baseline measured in the same run:

(a) rows per second: a CSV of N recipients imported into a list (sending.batch.csvimport,
    which adds through receivers.add) and a task's expansion of it into queued
    Deliveries (service.create, then expand.run until done), addresses and Deliveries
    counted; against a bare psycopg COPY of the same rows into the same two tables;
(b) the peak RSS (VmHWM) of every process while a list of M recipients is imported (in
    a process of its own: the upload, then csvimport.run) and expanded (by real Celery
    worker processes, two in the pool);
(c) messages per second: a task of D recipients expanded and delivered by real Celery
    workers (two pool processes) to an aiosmtpd sink reached as the relay; against the
    build, sign and send loop of bench/delivery.py in one process (every recipient's
    own mail, built from its data and DKIM-signed, over one reused connection).

See bench/README.md.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script (bench/batch.py), not with -m
    sys.path.insert(0, str(BASE_DIR))

from bench.delivery import add_dkim_keys, start_sink, stop  # noqa: E402
from bench.send_api import (  # noqa: E402
    BENCH_ACCOUNT,
    BENCH_SENDER,
    BenchError,
    Fixtures,
    _libpq_url,
    _tail,
    bench_environment,
    create_fixtures,
    ensure_database,
    ensure_redis,
    free_port,
    migrate,
    redact,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sesbench_batch"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/11"
DEFAULT_PREFIX = "sesbench-batch"
RSS_TARGET_MB = 200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/batch.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--recipients", type=int, default=100_000, help="(a): list size")
    parser.add_argument("--million", type=int, default=1_000_000, help="(b): list size")
    parser.add_argument("--deliver", type=int, default=20_000, help="(c): task size")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery pool processes")
    parser.add_argument("--skip", default="", help="phases to leave out, e.g. --skip b")
    parser.add_argument("--timeout", type=float, default=3600, help="give up a phase after")
    # The import process of (b): bench/batch.py starts itself with these.
    parser.add_argument("--import-into", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- rows ------------------------------------------------------------------------------


def recipient(i: int, domain: str) -> tuple[str, str]:
    return f"u{i:07d}@{domain}", f"User {i}"


def write_csv(path: Path, n: int, domain: str) -> Path:
    """A file as an operator uploads it: a header, then email and one variable per row."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,name\r\n")
        for start in range(0, n, 10_000):
            rows = (recipient(i, domain) for i in range(start, min(n, start + 10_000)))
            out.write("".join(f"{email},{name}\r\n" for email, name in rows))
    return path


# --- Django side (after django.setup) ---------------------------------------------------


def purge_account() -> None:
    """Delete the bench account's deliveries and addresses in a few statements: the ORM's
    cascade would load a million of them first. The rest goes with the account."""
    from django.db import connection

    from accounts.models import Account
    from sending.models import (
        ImportRejection,
        ReceiverAddress,
        ReceiverImport,
        ReceiverList,
        SendTask,
    )

    account = Account.objects.filter(name=BENCH_ACCOUNT).first()
    if account is None:
        return
    delete_deliveries("account_id = %s", [account.pk])
    table = {
        m: connection.ops.quote_name(m._meta.db_table) for m in (ReceiverAddress, ReceiverList)
    }
    lists = f"SELECT id FROM {table[ReceiverList]} WHERE account_id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table[ReceiverAddress]} WHERE receiver_list_id IN ({lists})",  # noqa: S608
            [account.pk],
        )
    ImportRejection.objects.filter(receiver_import__receiver_list__account=account).delete()
    ReceiverImport.objects.filter(receiver_list__account=account).delete()
    SendTask.objects.filter(account=account).delete()


def delete_deliveries(where: str, params: list[object]) -> None:
    """Delete Deliveries (`where` on their table) with their Events and Attempts."""
    from django.db import connection, transaction

    from sending.models import Attempt, Delivery, Event

    qn = connection.ops.quote_name
    deliveries = qn(Delivery._meta.db_table)
    chosen = f"SELECT id FROM {deliveries} WHERE {where}"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Event, Attempt):
            cursor.execute(
                f"DELETE FROM {qn(model._meta.db_table)} WHERE delivery_id IN ({chosen})",  # noqa: S608
                params,
            )
        cursor.execute(f"DELETE FROM {deliveries} WHERE {where}", params)  # noqa: S608


def prepare_account(fixtures: Fixtures) -> None:
    """No warm-up cap; a DKIM key for delivery (the account's limits are at 10^9)."""
    from domains.models import SenderDomain

    SenderDomain.objects.filter(account_id=fixtures.account_id).update(warmup_step=None)
    add_dkim_keys(fixtures.account_id)


def new_list(fixtures: Fixtures, name: str):  # -> ReceiverList
    from accounts.models import Account
    from sending.batch import receivers

    return receivers.create(Account.objects.get(pk=fixtures.account_id), name)


def upload(receiver_list, path: Path):  # -> ReceiverImport
    """What the console's upload does with the file: csvimport.start streams it to disk."""
    from django.core.files import File

    from sending.batch import csvimport

    with path.open("rb") as source:
        return csvimport.start(receiver_list, File(source, name=path.name))  # type: ignore[arg-type]


def import_all(import_id: int) -> None:
    """Run the import to its end here, as the Celery task and its successors would."""
    from sending.batch import csvimport
    from sending.models import ImportStatus, ReceiverImport

    while True:
        status = csvimport.run(import_id)
        if status == ImportStatus.DONE:
            return
        if status != ImportStatus.QUEUED:  # QUEUED: handed on after its slice of time
            error = ReceiverImport.objects.get(pk=import_id).error
            raise BenchError(f"the import ended {status}: {error}")


def create_task(fixtures: Fixtures, receiver_list):  # -> SendTask
    from accounts.models import Account
    from sending.batch import parse, service

    account = Account.objects.get(pk=fixtures.account_id)
    receiver_list.refresh_from_db()
    params = {
        "FromEmailAddress": BENCH_SENDER,
        "ReceiverId": receiver_list.pk,
        "Subject": "Hello {{name}}",
        "TaskType": 1,
        "Template": {"TemplateID": fixtures.template_id},
    }
    return service.create(account, parse.parse_batch(account, params))


def expand_all(task_id: int) -> None:
    """expand.run until the run is done, as chained expand tasks would."""
    from sending.batch import expand
    from sending.models import SendTask, TaskStatus

    while True:
        expand.run(task_id)
        task = SendTask.objects.get(pk=task_id)
        if task.status != TaskStatus.SENDING:
            if task.status != TaskStatus.DONE:
                raise BenchError(f"the task stopped {task.status}: {task.error_message}")
            return


def task_counts(task_id: int) -> dict[str, int]:
    from django.db.models import Count

    from sending.models import Delivery

    rows = Delivery.objects.filter(task_id=task_id).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def clear_queues() -> None:
    """Drop the tasks an earlier phase published (delivery tasks for its domains, the
    import's message): the next phase's workers must see only their own work."""
    from django.conf import settings

    from sesconsole import ratelimit
    from tests.workers import purge_queues

    purge_queues(settings.SES_CELERY_QUEUES)
    client = ratelimit.redis_client()
    if client is not None:
        for pattern in ("deliver-pending", "deliver-paced", "expand-pending"):
            for key in client.scan_iter(f"{settings.SES_REDIS_PREFIX}:{pattern}:*"):
                client.delete(key)


# --- processes and their memory -----------------------------------------------------------


def _status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of `pid` in kB (empty once it is gone)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmHWM", "VmRSS"):
                    found[name] = int(value.split()[0])
    except OSError:
        pass
    return found


def _children(pid: int) -> list[int]:
    try:
        import psutil  # type: ignore[import-not-found]

        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except ImportError:
        pass
    except Exception:  # gone meanwhile
        return []
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command (in parentheses) may hold spaces: the ppid follows its end.
                ppid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Sampler:
    """Polls the peak RSS of the processes it is given (and of their descendants)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.roots: dict[int, tuple[str, str]] = {}  # pid -> (label, its children's label)
        self.peaks: dict[int, tuple[str, int]] = {}  # pid -> (label, VmHWM kB)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def track(self, pid: int, label: str, *, children: str = "") -> None:
        """Follow `pid`, and its descendants too when they get a label."""
        with self.lock:
            self.roots[pid] = (label, children)

    def sample(self) -> None:
        with self.lock:
            roots = dict(self.roots)
        for root, (label, children) in roots.items():
            found = [(root, label)]
            if children:
                found += [(c, children) for c in _children(root) if c not in roots]
            for pid, name in found:
                hwm = _status(pid).get("VmHWM")
                if hwm is None:
                    continue
                with self.lock:
                    old = self.peaks.get(pid, (name, 0))
                    self.peaks[pid] = (old[0], max(old[1], hwm))

    def _loop(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()

    def stop(self) -> dict[int, tuple[str, int]]:
        self.sample()
        self.done.set()
        self.thread.join()
        return dict(self.peaks)


def start_worker(env: dict[str, str], queues: str, concurrency: int, log: Path, name: str):
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own argv
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sesconsole",
                "worker",
                "-Q",
                queues,
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_worker(worker: subprocess.Popen, name: str, log: Path) -> None:
    from sesconsole.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BenchError(f"the Celery worker exited:\n{_tail(log)}")
        replies = app.control.ping(timeout=1.0) or []
        if any(name in host for reply in replies for host in reply):
            return
    raise BenchError(f"the Celery worker did not answer:\n{_tail(log)}")


def stop_process(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- (a) rows per second ----------------------------------------------------------------


def phase_a(fixtures: Fixtures, n: int, var_dir: Path, database_url: str) -> dict[str, float]:
    from sending.models import DeliveryStatus

    path = write_csv(var_dir / "a.csv", n, "a.bench.example")
    baseline = copy_baseline(fixtures, n, database_url)
    receiver_list = new_list(fixtures, "bench-a")
    started = time.perf_counter()
    import_all(upload(receiver_list, path).pk)
    imported = time.perf_counter()
    task = create_task(fixtures, receiver_list)
    expand_all(task.pk)
    expanded = time.perf_counter()
    receiver_list.refresh_from_db()
    counts = task_counts(task.pk)
    if receiver_list.valid_count != n or counts != {DeliveryStatus.QUEUED: n}:
        raise BenchError(f"(a) wrote {receiver_list.valid_count} addresses and {counts}")
    delete_deliveries("task_id = %s", [task.pk])  # not delivered: they would linger
    return {
        "import": imported - started,
        "expansion": expanded - imported,
        "whole": expanded - started,
        "copy": baseline,
    }


def copy_baseline(fixtures: Fixtures, n: int, database_url: str) -> float:
    """Seconds for psycopg to COPY the same N addresses and N Deliveries into the same
    tables (a list and a task of their own): the floor of writing those rows."""
    import psycopg
    from django.db import connections
    from django.utils import timezone

    from sending.models import (
        Delivery,
        DeliveryStatus,
        ListStatus,
        Message,
        ReceiverAddress,
        ReceiverList,
        Recipient,
        SendStatus,
        SendTask,
        TaskStatus,
        TaskType,
        new_message_id,
    )

    receiver_list = ReceiverList.objects.create(
        account_id=fixtures.account_id, name="bench-copy", status=ListStatus.COMPLETE
    )
    message = Message.objects.create(
        account_id=fixtures.account_id,
        message_id=new_message_id(0),
        from_address=BENCH_SENDER,
        subject="Hello {{name}}",
        personal=True,
    )
    task = SendTask.objects.create(
        account_id=fixtures.account_id,
        receiver_list=receiver_list,
        receivers_name=receiver_list.name,
        message=message,
        from_address=BENCH_SENDER,
        task_type=TaskType.IMMEDIATE,
        status=TaskStatus.DONE,
    )
    connections.close_all()

    def columns(model, names: list[str]) -> str:
        return ", ".join(model._meta.get_field(name).column for name in names)

    domain = "copy.bench.example"
    now = timezone.now()
    address_names = ["receiver_list", "email", "data", "status", "reason", "created_at"]
    # What expansion writes for a queued recipient, but for its address and data.
    fixed = {
        "message": message.pk,
        "account": fixtures.account_id,
        "domain": domain,
        "simulated": False,
        "kind": Recipient.TO.value,
        "status": DeliveryStatus.QUEUED.value,
        "send_status": SendStatus.OK.value,
        "created_at": now,
        "updated_at": now,
        "attempts": 0,
        "next_attempt_at": now,
        "claim_token": "",
        "last_reply": "",
        "bounce_type": "",
        "bounce_category": "",
        "task": task.pk,
    }
    delivery_names = [*fixed, "recipient", "data"]
    head = tuple(fixed.values())
    started = time.perf_counter()
    with psycopg.connect(_libpq_url(database_url)) as conn, conn.cursor() as cursor:
        target = f"{ReceiverAddress._meta.db_table} ({columns(ReceiverAddress, address_names)})"
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for i in range(n):
                email, name = recipient(i, domain)
                data = json.dumps({"name": name})
                copy.write_row((receiver_list.pk, email, data, "valid", "", now))
        target = f"{Delivery._meta.db_table} ({columns(Delivery, delivery_names)})"
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for i in range(n):
                email, name = recipient(i, domain)
                copy.write_row((*head, email, json.dumps({"name": name})))
        conn.commit()
    seconds = time.perf_counter() - started
    delete_deliveries("task_id = %s", [task.pk])
    return seconds


# --- (b) peak RSS -------------------------------------------------------------------------


def import_process(list_id: int, path: Path) -> int:
    """The import of (b), in this process of its own: the upload, then the whole import."""
    import django

    django.setup()
    from sending.models import ReceiverList

    receiver_list = ReceiverList.objects.get(pk=list_id)
    started = time.perf_counter()
    import_all(upload(receiver_list, path).pk)
    seconds = time.perf_counter() - started
    receiver_list.refresh_from_db()
    own = _status(os.getpid())
    print(json.dumps({"seconds": seconds, "added": receiver_list.valid_count, "kb": own["VmHWM"]}))
    return 0


def phase_b(
    fixtures: Fixtures, m: int, var_dir: Path, env: dict[str, str], concurrency: int, timeout: float
) -> dict[str, object]:
    from sending.models import SendTask, TaskStatus

    path = write_csv(var_dir / "b.csv", m, "b.bench.example")
    receiver_list = new_list(fixtures, "bench-b")
    sampler = Sampler()
    sampler.track(os.getpid(), "bench.batch (this process, polling)")
    importer = subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, __file__, "--import-into", str(receiver_list.pk), "--csv", str(path)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    sampler.track(importer.pid, "import (csvimport.start + run)")
    out, _ = importer.communicate(timeout=timeout)
    if importer.returncode:
        raise BenchError(f"the import process failed ({importer.returncode})")
    imported = json.loads(out.strip().splitlines()[-1])
    if imported["added"] != m:
        raise BenchError(f"(b) imported {imported['added']} of {m}")
    path.unlink()
    clear_queues()
    log = var_dir / "worker-b.log"
    worker = start_worker(env, "maintenance", concurrency, log, "bench-b")
    try:
        sampler.track(worker.pid, "celery worker (main)", children="celery worker (pool process)")
        wait_worker(worker, "bench-b", log)
        redis_before = _redis_use()
        started = time.perf_counter()
        task = create_task(fixtures, receiver_list)
        deadline = started + timeout
        while True:
            task.refresh_from_db()
            if task.status != TaskStatus.SENDING:
                break
            if time.perf_counter() > deadline or worker.poll() is not None:
                raise BenchError(f"(b) expansion at {task.cursor} of {task.last_address}")
            time.sleep(0.5)
        expanded = time.perf_counter() - started
        redis_after = _redis_use()
        peaks = sampler.stop()
    finally:
        stop_process(worker)
    if task.status != TaskStatus.DONE or SendTask.objects.get(pk=task.pk).sent_count != m:
        raise BenchError(f"(b) the task ended {task.status}: {task.error_message}")
    # The import process's own figure (it may have peaked between two samples).
    for pid, (label, kb) in peaks.items():
        if pid == importer.pid:
            peaks[pid] = (label, max(kb, imported["kb"]))
    delete_deliveries("task_id = %s", [task.pk])
    return {
        "import": imported["seconds"],
        "expansion": expanded,
        "peaks": peaks,
        "redis": [after - before for before, after in zip(redis_before, redis_after, strict=True)],
    }


def _redis_use() -> tuple[int, int]:
    """(bytes used, keys) of the counters' Redis database: not a process of ours, but
    where a task's per-recipient counters live."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    return int(client.info("memory")["used_memory"]), int(client.dbsize())


# --- (c) delivery ---------------------------------------------------------------------------


def phase_c(
    fixtures: Fixtures,
    d: int,
    var_dir: Path,
    env: dict[str, str],
    sink_port: int,
    concurrency: int,
    timeout: float,
) -> dict[str, float]:
    from sending.models import DeliveryStatus

    receiver_list = new_list(fixtures, "bench-c")
    import_all(upload(receiver_list, write_csv(var_dir / "c.csv", d, "c.bench.example")).pk)
    clear_queues()
    log = var_dir / "worker-c.log"
    worker = start_worker(env, "maintenance,delivery", concurrency, log, "bench-c")
    try:
        wait_worker(worker, "bench-c", log)
        started = time.perf_counter()
        task = create_task(fixtures, receiver_list)
        deadline = started + timeout
        while True:
            counts = task_counts(task.pk)
            if counts.get(DeliveryStatus.DELIVERED, 0) >= d:
                break
            if time.perf_counter() > deadline or worker.poll() is not None:
                raise BenchError(f"(c) deliveries: {counts}\n{_tail(log)}")
            time.sleep(0.1)
        delivered = time.perf_counter() - started
    finally:
        stop_process(worker)
    base = delivery_baseline(task.pk, sink_port)
    return {"workers": delivered, "baseline": base}


def delivery_baseline(task_id: int, sink_port: int) -> float:
    """bench/delivery.py's loop in one process, for the task's every recipient: its own
    mail built (mime.personalise, mime.build), signed and sent over one connection."""
    from django.db import connections

    from domains.models import SenderDomain
    from sending.build import mime
    from sending.build.dkim.sign import Signer
    from sending.models import Delivery, SendTask
    from sending.smtp.client import SmtpSession

    task = SendTask.objects.select_related("message__template_revision").get(pk=task_id)
    message = task.message
    domain = SenderDomain.objects.get(account_id=task.account_id)
    deliveries = list(Delivery.objects.filter(task_id=task_id).order_by("pk"))
    started = time.perf_counter()
    signer = Signer.for_domain(domain)
    with SmtpSession("127.0.0.1", "127.0.0.1", sink_port, tls="none") as session:
        for delivery in deliveries:
            mail = mime.personalise(message, delivery)
            raw = mime.build(mail, [], [("to", delivery.recipient)])
            signed = signer.sign(raw) + raw
            result = session.send(f"bounce@{domain.name}", [delivery.recipient], signed)
            if result.error or not result.accepted:
                raise BenchError(f"baseline send failed: {result}")
    seconds = time.perf_counter() - started
    connections.close_all()
    return seconds


# --- the run ---------------------------------------------------------------------------------


def _server_version(database_url: str) -> str:
    import psycopg

    with psycopg.connect(_libpq_url(database_url)) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]


def report(args, results: dict, database_url: str, urls: list[str]) -> None:
    print()
    print(
        f"cpus: {os.cpu_count()}  PostgreSQL {_server_version(database_url)}  "
        f"Redis  ({', '.join(redact(u) for u in urls)})"
    )
    # Anything else running shares the CPUs: a load past the CPU count skews every figure.
    print("load average (1 min) at the start of each part: " + results.get("load", "?"))
    if "a" in results:
        a, n = results["a"], args.recipients
        rate, base = 2 * n / a["whole"], 2 * n / a["copy"]
        print(f"\n(a) import and expansion of {n:,} recipients (rows: addresses + Deliveries)")
        print(f"    CSV import (csvimport)   {n / a['import']:9,.0f} rows/s  ({a['import']:.1f} s)")
        print(
            f"    expansion (expand.run)   {n / a['expansion']:9,.0f} rows/s  "
            f"({a['expansion']:.1f} s)"
        )
        print(f"    whole                    {rate:9,.0f} rows/s  ({a['whole']:.1f} s)")
        print(f"    baseline: psycopg COPY   {base:9,.0f} rows/s  ({a['copy']:.1f} s)")
        print(f"    ratio whole / COPY: {rate / base:.2f} (target >= 0.33)")
    if "b" in results:
        b, m = results["b"], args.million
        print(
            f"\n(b) peak RSS (VmHWM) while {m:,} recipients are imported "
            f"({b['import']:.0f} s, {m / b['import']:,.0f} rows/s) and expanded "
            f"({b['expansion']:.0f} s, {m / b['expansion']:,.0f} rows/s)"
        )
        peaks = b["peaks"]
        for pid, (label, kb) in sorted(peaks.items(), key=lambda item: item[1][0]):
            print(f"    {label:45} pid {pid:>7}  {kb / 1024:7.1f} MB")
        worst = max(kb for _, kb in peaks.values()) / 1024
        verdict = "met" if worst < RSS_TARGET_MB else "NOT met"
        print(f"    largest: {worst:.1f} MB (target < {RSS_TARGET_MB} MB each: {verdict})")
        grown, keys = b["redis"]
        print(
            f"    (the Redis server, not ours: {grown / 2**20:+.1f} MB and {keys:+,} keys after "
            "the expansion, the per-recipient hourly counters)"
        )
    if "c" in results:
        c, d = results["c"], args.deliver
        rate, base = d / c["workers"], d / c["baseline"]
        print(f"\n(c) a task of {d:,} recipients, expanded and delivered to an aiosmtpd sink")
        print(
            f"    Celery workers ({args.concurrency} processes) {rate:8.1f} msg/s "
            f"({c['workers']:.1f} s, task created to last delivered)"
        )
        print(f"    baseline (1 process)       {base:8.1f} msg/s ({c['baseline']:.1f} s)")
        print(f"    ratio workers / baseline: {rate / base:.2f} (target >= 1.0)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.import_into is not None:
        return import_process(args.import_into, args.csv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if min(args.recipients, args.million, args.deliver, args.concurrency) < 1:
        raise BenchError("sizes and --concurrency must be positive")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    broker_url = os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER_URL
    _libpq_url(database_url)
    ensure_database(database_url)
    ensure_redis(redis_url)
    ensure_redis(broker_url)
    import redis

    for url in {redis_url, broker_url}:  # nothing left from an earlier run
        redis.Redis.from_url(url).flushdb()
    sink = None
    results: dict = {}
    loads: list[str] = []

    def part(name: str) -> bool:
        if name in args.skip:
            return False
        loads.append(f"({name}) {os.getloadavg()[0]:.2f}")
        results["load"] = ", ".join(loads)
        return True

    with tempfile.TemporaryDirectory(prefix="sesbench-batch-") as var:
        var_dir = Path(var)
        sink_port = free_port()
        env = bench_environment(database_url, redis_url, var)
        env.update(
            CELERY_BROKER_URL=broker_url,
            CELERY_RESULT_BACKEND=broker_url,
            SES_REDIS_PREFIX=os.environ.get("SES_REDIS_PREFIX") or DEFAULT_PREFIX,
            SES_RELAY_URL=f"smtp://127.0.0.1:{sink_port}",
            SES_IMPORT_DIR=str(var_dir / "imports"),
        )
        print("migrating ...", flush=True)
        migrate(env)
        os.environ.update(env)
        import django

        django.setup()
        print("removing an earlier run's bench account ...", flush=True)
        purge_account()
        print("creating fixtures (with an RSA-2048 DKIM key) ...", flush=True)
        fixtures = create_fixtures()
        prepare_account(fixtures)
        try:
            if part("a"):
                print(
                    f"(a) {args.recipients:,} recipients: COPY, import, expansion ...", flush=True
                )
                results["a"] = phase_a(fixtures, args.recipients, var_dir, database_url)
            if part("b"):
                print(f"(b) {args.million:,} recipients: import, expansion ...", flush=True)
                results["b"] = phase_b(
                    fixtures, args.million, var_dir, env, args.concurrency, args.timeout
                )
            if part("c"):
                print(f"(c) {args.deliver:,} recipients: delivery, baseline ...", flush=True)
                sink = start_sink(sink_port)
                results["c"] = phase_c(
                    fixtures, args.deliver, var_dir, env, sink_port, args.concurrency, args.timeout
                )
        finally:
            stop(sink)
            print("cleaning up ...", flush=True)
            purge_account()
    report(args, results, database_url, [database_url, redis_url, broker_url])
    return 0


if __name__ == "__main__":
    sys.exit(main())
