"""Configuration comes from the environment; the deploy check passes in production."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "broker": settings.CELERY_BROKER_URL,
    "backend": settings.CELERY_RESULT_BACKEND,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
}))
"""


def clean_env(tmp_path, **extra):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SES_VAR_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "sesconsole.settings"
    env.update(extra)
    return env


def probe(env):
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_server(tmp_path):
    seen = probe(clean_env(tmp_path))
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["broker"] == f"sqla+sqlite:///{tmp_path}/celery-broker.sqlite3"
    assert seen["backend"].startswith("db+sqlite:///")
    assert seen["cache"].endswith("LocMemCache")
    assert seen["debug"] is False


def test_postgres_and_redis_from_the_environment(tmp_path):
    seen = probe(
        clean_env(
            tmp_path,
            DATABASE_URL="postgres://ses@db.example:5432/ses",
            REDIS_URL="redis://cache.example:6379/0",
            CELERY_BROKER_URL="redis://cache.example:6379/1",
            DEBUG="1",
        )
    )
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["broker"] == "redis://cache.example:6379/1"
    assert seen["backend"] == "redis://cache.example:6379/0"
    assert seen["cache"].endswith("RedisCache")
    assert seen["debug"] is True


def test_deploy_check_passes_in_a_production_like_environment():
    result = subprocess.run(
        [str(ROOT / "scripts" / "deploy-check")],
        cwd=ROOT,
        env={**os.environ, "VENV": str(Path(sys.executable).parent.parent)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_the_embedded_default(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    report = result.stdout + result.stderr
    for check_id in [
        "security.W009",
        "sesconsole.W001",
        "sesconsole.W002",
        "sesconsole.W003",
        "domains.W002",
    ]:
        assert check_id in report


def test_bad_encryption_key_is_a_system_check_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(tmp_path, SES_ENCRYPTION_KEYS="not-a-key"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "sesconsole.E001" in result.stderr


def test_bad_nameserver_is_a_system_check_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(tmp_path, SES_DNS_NAMESERVERS="127.0.0.1:5353,dns.example.com"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "domains.E001" in result.stderr and "dns.example.com" in result.stderr


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def check_errors(tmp_path, **env) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
    )
    return result.stderr if result.returncode else ""


def test_delivery_settings_are_checked(tmp_path):
    # A claim timeout within the task's time limit would let a live worker lose its claim.
    short_claim = check_errors(tmp_path, SES_DELIVERY_CLAIM_TIMEOUT="300")
    assert "sending.E001" in short_claim
    assert "sending.E002" in check_errors(tmp_path, SES_RETRY_DELAYS="60,soon")
    assert "sending.E002" in check_errors(tmp_path, SES_RETRY_DELAYS="0")
    assert "sending.E003" in check_errors(tmp_path, SES_DELIVERY_BATCH="0")
    assert check_errors(tmp_path, SES_RETRY_DELAYS="30,120", SES_DELIVERY_BATCH="10") == ""
