"""`manage.py smtpd` as the Procfile runs it: a process on the database, listening on
both ports, stopping cleanly on SIGTERM; refusing to start without a certificate;
and the system check for a misconfigured one."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest

from sending.checks import check_smtpd
from sending.models import Message
from tests.sending.smtp.submission.conftest import HOST, PASSWORD, SENDER_EMAIL, message
from tests.workers import ROOT, test_database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def smtpd_process(tmp_path, **env) -> tuple[subprocess.Popen, object]:
    log = tmp_path / "smtpd.log"
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "smtpd", *env.pop("args", [])],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sesconsole.settings",
            "DATABASE_URL": test_database_url(),
            "SES_SMTPD_BIND": HOST,
            **env,
        },
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return process, log


def wait_listening(process, log, port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"smtpd exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"smtpd did not listen on {port}:\n{log.read_text()}")


def test_runs_sends_and_stops(smtp_login, smtp_cert_files, tls_ca, tmp_path, settings):
    # The process hashes as production does (tests elsewhere use a fast hasher).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    smtp_login.set_smtp_password(PASSWORD)
    starttls, implicit = free_port(), free_port()
    process, log = smtpd_process(
        tmp_path,
        SES_SMTPD_CERT_FILE=smtp_cert_files[0],
        SES_SMTPD_KEY_FILE=smtp_cert_files[1],
        SES_SMTPD_STARTTLS_PORT=str(starttls),
        SES_SMTPD_TLS_PORT=str(implicit),
    )
    try:
        wait_listening(process, log, implicit)
        with smtplib.SMTP(HOST, starttls, timeout=10) as client:
            client.starttls(context=tls_ca.client_context())
            client.login(SENDER_EMAIL, PASSWORD)
            assert client.sendmail(SENDER_EMAIL, ["ana@example.com"], message()) == {}
        with smtplib.SMTP_SSL(HOST, implicit, context=tls_ca.client_context(), timeout=10) as c:
            c.login(SENDER_EMAIL, PASSWORD)
            assert c.sendmail(SENDER_EMAIL, ["bo@example.com"], message(to="bo@example.com")) == {}
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    output = log.read_text()
    assert code == 0, output
    assert f"STARTTLS port {starttls}, implicit TLS port {implicit}" in output
    assert Message.objects.count() == 2


def test_refuses_to_start_without_a_certificate(transactional_db, tmp_path):
    process, log = smtpd_process(
        tmp_path,
        SES_SMTPD_CERT_FILE="",
        SES_SMTPD_KEY_FILE="",
        args=["--starttls-port", str(free_port()), "--tls-port", str(free_port())],
    )
    assert process.wait(timeout=60) == 1
    assert "set SES_SMTPD_CERT_FILE and SES_SMTPD_KEY_FILE" in log.read_text()


def test_system_check_of_the_certificate(settings, smtp_cert_files, tmp_path):
    cert, key = smtp_cert_files
    settings.SES_SMTPD_CERT_FILE, settings.SES_SMTPD_KEY_FILE = cert, key
    assert check_smtpd(None) == []
    settings.SES_SMTPD_KEY_FILE = cert  # a certificate is no key
    errors = check_smtpd(None)
    assert [e.id for e in errors] == ["sending.E010"]
    assert "not a PEM certificate chain and its private key" in errors[0].msg
    settings.SES_SMTPD_KEY_FILE = str(tmp_path / "missing.pem")
    assert "No such file" in check_smtpd(None)[0].msg
    settings.SES_SMTPD_CERT_FILE = ""
    assert "set SES_SMTPD_CERT_FILE and SES_SMTPD_KEY_FILE" in check_smtpd(None)[0].msg
    settings.SES_SMTPD_KEY_FILE = ""
    settings.SES_SMTPD_MAX_COMMANDS = 0
    assert [e.id for e in check_smtpd(None)] == ["sending.E011"]
