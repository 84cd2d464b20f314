"""Real Celery worker processes for tests, on the configured broker and the test database."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """DATABASE_URL of the database the tests run on (the test copy, not the real one)."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # pytest reads it


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery worker processes on the configured broker and the test database.

    `start_worker(**env)` adds environment variables (e.g. settings the test
    changed, such as SES_DNS_NAMESERVERS); the workers stop after the test.
    """
    from django.conf import settings

    purge_queues(settings.SES_CELERY_QUEUES)
    processes = []

    def start(**extra_env):
        log = tmp_path / f"worker-{len(processes)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sesconsole.settings",
            "DATABASE_URL": test_database_url(),
            **{k: str(v) for k, v in extra_env.items()},
        }
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "sesconsole",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "-Q",
                    ",".join(settings.SES_CELERY_QUEUES),
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"test-{os.getpid()}-{len(processes)}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if os.environ.get("SES_TEST_SHOW_WORKER_LOG"):
            sys.stderr.write(log.read_text())


def purge_queues(queues) -> None:
    """Drop tasks other tests published (acceptance publishes deliveries after commit):
    a new worker must only see its own test's work."""
    from sesconsole.celery import app

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            # A queue never declared yet has nothing to drop.
            with contextlib.suppress(*connection.channel_errors):
                channel.queue_purge(queue)


@pytest.fixture
def celery_worker_process(start_worker):
    return start_worker()


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll `predicate` until true or `timeout` seconds pass; say whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
