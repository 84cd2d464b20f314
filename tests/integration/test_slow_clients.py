"""The web process exactly as the Procfile starts it, under clients that stall.

A hundred connections that send part of a request and stop, or that never read
their answer, must leave /healthz and SendEmail (through the official SDK)
answering. gunicorn's sync workers were each held by one such client until the
30-second worker timeout, so the 5-second client timeout here fails them: this
is a functional limit, not a speed target (speed is measured in bench/).

The same server also shows what its ASGI entry point keeps from the WSGI one:
static files, the API's body limit (answered without reading past it), and a
bounded number of database connections.
"""

import contextlib
import errno
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import models
from tencentcloud.ses.v20201002.ses_client import SesClient

from accounts.models import Account, ApiKey
from sending.models import Message
from tests.conftest import need
from tests.sending.conftest import (  # noqa: F401
    approved_template,
    make_sender,
    make_template,
    send_params,
    template_reviewer,
    verified_sender,
)
from tests.workers import ROOT, test_database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

STALLED = 100
CLIENT_TIMEOUT = 5.0
TRIES = 5
WORKERS = 2  # the Procfile's default WEB_CONCURRENCY
POOL_SIZE = 3
LARGE_STATIC = "vendor/bootstrap/bootstrap.min.css"  # 230 kB: more than socket buffers hold


def procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("the Procfile has no web process")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic's output, which the server serves with DEBUG off (WhiteNoise)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": str(root), "DEBUG": "0"},
        check=True,
    )
    return root


@pytest.fixture(scope="module")
def web(tmp_path_factory, static_root, django_db_setup):
    """http://127.0.0.1:<port> of the Procfile's web command on the test database."""
    with pytest.MonkeyPatch.context() as mp:
        # requests and the SDK honour proxy variables; everything here is on loopback.
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            mp.delenv(name, raising=False)
            mp.delenv(name.lower(), raising=False)
        yield from serve_procfile_web(tmp_path_factory.mktemp("web") / "web.log", static_root)


def serve_procfile_web(log: Path, static_root: Path):
    port = free_port()
    env = {
        **os.environ,
        # The Procfile says `python`: the one of this environment, as under make run.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "sesconsole.settings",
        "DATABASE_URL": test_database_url(),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "SES_DB_POOL_SIZE": str(POOL_SIZE),
        "DEBUG": "0",
        "STATIC_ROOT": str(static_root),
    }
    with log.open("w") as out:
        # honcho runs each Procfile line through the shell as well.
        process = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {procfile_web()}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the web process exited:\n{log.read_text()}"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            assert time.monotonic() < deadline, f"/healthz never answered:\n{log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if os.environ.get("SES_TEST_SHOW_WORKER_LOG"):
            sys.stderr.write(log.read_text())


@pytest.fixture
def sdk(web, account):
    Account.objects.filter(pk=account.pk).update(
        api_rate_per_second=10_000, send_rate_per_second=10_000
    )
    key, secret = ApiKey.issue(account, description="slow clients")
    http = HttpProfile(
        protocol="http", endpoint=web.removeprefix("http://"), reqTimeout=CLIENT_TIMEOUT
    )
    return SesClient(
        credential.Credential(key.secret_id, secret),
        "ap-guangzhou",
        ClientProfile(httpProfile=http),
    )


def port_of(base: str) -> int:
    return int(base.rpartition(":")[2])


def stalled_requests(base: str) -> list[socket.socket]:
    """Connections that sent a request line and some headers, and nothing more."""
    socks = []
    for _ in range(STALLED):
        s = socket.create_connection(("127.0.0.1", port_of(base)), timeout=CLIENT_TIMEOUT)
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-TC-Action: SendEmail\r\n")
        socks.append(s)
    return socks


def unread_responses(base: str) -> list[socket.socket]:
    """Connections that asked for a large file and never read it."""
    socks = []
    for _ in range(STALLED):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        s.settimeout(CLIENT_TIMEOUT)
        s.connect(("127.0.0.1", port_of(base)))
        s.sendall(f"GET /static/{LARGE_STATIC} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        socks.append(s)
    return socks


def still_open(s: socket.socket) -> bool:
    s.setblocking(False)  # a timeout would make recv wait for data first
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError as exc:
        return exc.errno not in (errno.ECONNRESET, errno.EPIPE)


def summary(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"min {min(ms):.1f} ms, median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms"


@pytest.mark.parametrize("clients", [stalled_requests, unread_responses])
def test_healthz_and_send_email_answer_beside_stalled_clients(
    web,
    sdk,
    send_params,  # noqa: F811
    clients,
    record_property,
    capsys,
):
    socks = clients(web)
    try:
        time.sleep(0.5)  # let the server take every connection in
        healthz, send = [], []
        for i in range(TRIES):
            started = time.monotonic()
            reply = requests.get(f"{web}/healthz", timeout=CLIENT_TIMEOUT)
            healthz.append(time.monotonic() - started)
            assert reply.status_code == 200
            assert reply.json() == {"ok": True}

            req = models.SendEmailRequest()
            req.from_json_string(
                json.dumps({**send_params, "Destination": [f"ana+{i}@example.com"]})
            )
            started = time.monotonic()
            message_id = sdk.SendEmail(req).MessageId
            send.append(time.monotonic() - started)
            assert Message.objects.filter(message_id=message_id).exists()

        # The load was there all along: the server neither answered nor dropped them.
        assert sum(still_open(s) for s in socks) == STALLED
    finally:
        for s in socks:
            s.close()
    figures = {"healthz": summary(healthz), "SendEmail": summary(send)}
    for name, value in figures.items():
        record_property(f"{clients.__name__} {name}", value)
    with capsys.disabled():
        print(
            f"\n{STALLED} {clients.__name__.replace('_', ' ')}: "
            + "; ".join(f"{name} {value}" for name, value in figures.items())
        )


def test_static_files_are_served_whole(web):
    reply = requests.get(f"{web}/static/{LARGE_STATIC}", timeout=CLIENT_TIMEOUT)
    assert reply.status_code == 200
    assert reply.content == (ROOT / "static" / LARGE_STATIC).read_bytes()
    assert reply.headers["Content-Type"].startswith("text/css")


def raw_exchange(base: str, head: bytes, body: bytes = b"") -> tuple[bytes, dict, bytes]:
    """Send one request as given; return (status line, headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=CLIENT_TIMEOUT) as s:
        s.sendall(head)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(body)  # the server may refuse, and close, before taking it all
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            assert chunk, f"connection closed after {data!r}"
            data += chunk
        status, _, rest = data.partition(b"\r\n")
        header_block, _, content = rest.partition(b"\r\n\r\n")
        headers = dict(
            (name.strip().lower().decode(), value.strip().decode())
            for name, _, value in (line.partition(b":") for line in header_block.split(b"\r\n"))
        )
        while len(content) < int(headers["content-length"]):
            chunk = s.recv(65536)
            assert chunk, "connection closed inside the answer"
            content += chunk
        return status, headers, content


def api_head(base: str, extra: str) -> bytes:
    return (
        f"POST / HTTP/1.1\r\nHost: {base.removeprefix('http://')}\r\n"
        "Content-Type: application/json\r\nX-TC-Action: SendEmail\r\nX-TC-Version: 2020-10-02\r\n"
        f"{extra}\r\n"
    ).encode()


def assert_api_error(answer, code: str):
    status, headers, content = answer
    assert status.startswith(b"HTTP/1.1 200 ")
    assert headers["content-type"] == "application/json"
    assert json.loads(content)["Response"]["Error"]["Code"] == code


def test_a_body_over_the_limit_is_refused(web):
    body = b"x" * (settings.SES_API_MAX_BODY + 1)
    answer = raw_exchange(web, api_head(web, f"Content-Length: {len(body)}\r\n"), body)
    assert_api_error(answer, "RequestSizeLimitExceeded")


def test_an_announced_body_over_the_limit_is_refused_without_waiting_for_it(web):
    # Nothing of the gigabyte follows: the answer must come from the length alone.
    answer = raw_exchange(web, api_head(web, f"Content-Length: {1 << 30}\r\n"))
    assert_api_error(answer, "RequestSizeLimitExceeded")
    assert answer[1]["connection"] == "close"


def test_an_endless_chunked_body_is_cut_at_the_limit(web):
    chunk = b"x" * (1 << 20)
    frames = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(9))  # no last chunk
    answer = raw_exchange(web, api_head(web, "Transfer-Encoding: chunked\r\n"), frames)
    assert_api_error(answer, "RequestSizeLimitExceeded")


def test_database_connections_stay_pooled(web, sdk):
    # Pooling is PostgreSQL's (SQLite connections are files); CI requires it to run.
    need("postgres", connection.vendor == "postgresql", "the database is not PostgreSQL")
    errors = []
    req = models.ListEmailTemplatesRequest()
    req.from_json_string(json.dumps({"Limit": 10, "Offset": 0}))

    def call():
        for _ in range(5):
            try:
                sdk.ListEmailTemplates(req)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (others,) = cursor.fetchone()
    # One thread per request under ASGI: persistent connections would number
    # about as many as the requests at once, pools at most their size.
    assert 0 < others <= WORKERS * POOL_SIZE
