"""/favicon.ico answers with the console's icon, also with DEBUG off and the
manifest storage of production (hashed file names), and pages link the icon."""

import struct
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static


def test_the_icon_is_a_real_ico():
    path = finders.find("favicon.ico")
    assert path, "static/favicon.ico is missing"
    data = Path(path).read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 1
    sizes = set()
    for i in range(count):
        width, _, _, _, _, _, size, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + size <= len(data)
        sizes.add(width)
    assert {16, 32} <= sizes


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("favicon.ico") == "/static/favicon.ico"


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    body = client.get("/login/").content.decode()
    assert f'<link rel="icon" href="{static("favicon.ico")}" sizes="32x32">' in body
    assert f'<link rel="icon" href="{static("icon.svg")}" type="image/svg+xml">' in body


def test_with_the_manifest_storage_it_names_the_hashed_file(client, settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    location = response["Location"]
    assert location.startswith("/static/favicon.") and location != "/static/favicon.ico"
    assert (tmp_path / location.removeprefix("/static/")).is_file()
    served = client.get(location)  # by WhiteNoise, from STATIC_ROOT
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:4] == b"\x00\x00\x01\x00"
