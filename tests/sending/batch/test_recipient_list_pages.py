"""The Recipient Lists pages through the Django test client: the lists and a new one,
a list's page (upload, progress, counts, search, pagination), the rejected rows'
download, deleting a list and its refusals, and another tenant's 404s."""

import codecs
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sending.batch import csvimport, receivers
from sending.models import (
    AddressStatus,
    ImportStatus,
    ListStatus,
    ReceiverImport,
    ReceiverList,
)
from tests.sending.batch.batchhelp import create_task, make_list
from tests.tenancy import assert_isolated

pytestmark = pytest.mark.django_db

LISTS = "/console/recipient-lists/"
CSV = (
    "email,name,code\n"
    "ana@example.com,Ana,1\n"
    "bo@example.com,Bo,2\n"
    "ana@example.com,Ana again,3\n"
    "not-an-address,Nobody,4\n"
    "cy@example.com,<b>Cy</b>,5\n"
)


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.SES_IMPORT_DIR = tmp_path / "imports"
    return settings.SES_IMPORT_DIR


@pytest.fixture
def receiver_list(account):
    return receivers.create(account, "Customers", "Our shop's customers")


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def list_url(receiver_list, name="recipient_list", *args) -> str:
    return reverse(f"sending:{name}", args=[receiver_list.pk, *args])


def csv_file(content: str | bytes = CSV, name="customers.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, "text/csv")


def upload(client, receiver_list, django_capture_on_commit_callbacks, content=CSV):
    """Upload through the page; the import it queued, and the tasks published."""
    with django_capture_on_commit_callbacks(execute=False) as published:
        response = client.post(list_url(receiver_list), {"file": csv_file(content)})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == list_url(receiver_list)
    return ReceiverImport.objects.filter(receiver_list=receiver_list).first(), published


def progress(client, receiver_list, **query) -> dict:
    response = client.get(list_url(receiver_list, "recipient_list_progress"), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


# --- the lists ----------------------------------------------------------------------


def test_url_sign_in_and_navigation(client, operator_client):
    assert reverse("sending:recipient_lists") == LISTS
    signed_out = Client().get(LISTS)
    assert signed_out.status_code == 302
    page = operator_client.get(reverse("sending:send"))
    assert f'href="{LISTS}"' in page.content.decode()
    assert "Recipient Lists" in page.content.decode()


def test_empty_state(operator_client):
    response = operator_client.get(LISTS)
    assert response.status_code == 200
    assert b'data-testid="empty-state"' in response.content
    assert b"No recipient lists yet" in response.content


def test_create_a_list(operator_client, account):
    response = operator_client.post(LISTS, {"name": " Newsletter ", "description": "Monthly"})
    created = ReceiverList.objects.get(account=account)
    assert (created.name, created.description, created.status) == (
        "Newsletter",
        "Monthly",
        ListStatus.WAITING,
    )
    assert response.status_code == 302 and response["Location"] == list_url(created)
    assert flash(response) == ["List Newsletter created: upload its addresses."]
    listed = operator_client.get(LISTS).content.decode()
    assert "Newsletter" in listed and "Waiting for addresses" in listed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Customers"}, "name", "You already have a recipient list named 'Customers'."),
        ({"name": "<b>x</b>"}, "name", "without < > or control characters"),
        ({"name": "Fine", "description": "a <script>"}, "description", "up to 300 characters"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
    ],
    ids=["duplicate", "bad-name", "bad-description", "empty", "too-long"],
)
def test_create_errors_under_their_fields(
    operator_client, receiver_list, account, data, field, message
):
    response = operator_client.post(LISTS, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert ReceiverList.objects.filter(account=account).count() == 1


def test_the_limit_of_lists_is_shown_above_the_form(operator_client, receiver_list, settings):
    settings.SES_RECEIVER_MAX_LISTS = 1
    response = operator_client.post(LISTS, {"name": "Second"})
    assert "delete one first" in " ".join(response.context["form"].non_field_errors())


def test_lists_table_and_pagination(operator_client, account):
    for i in range(30):
        receivers.create(account, f"List {i:02}")
    first = operator_client.get(LISTS)
    shown = [lst.name for lst in first.context["page"].object_list]
    assert len(shown) == 25 and shown[0] == "List 29"
    assert "Page 1 of 2" in first.content.decode()
    second = operator_client.get(LISTS, {"page": 2})
    assert [lst.name for lst in second.context["page"].object_list] == [
        f"List {i:02}" for i in range(4, -1, -1)
    ]


# --- a list's page ----------------------------------------------------------------


def test_a_new_lists_page(operator_client, receiver_list):
    response = operator_client.get(list_url(receiver_list))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Our shop&#x27;s customers" in body
    assert 'data-testid="no-imports"' in body and "No addresses yet" in body
    assert 'enctype="multipart/form-data"' in body
    hint = body[body.index('data-testid="format-hint"') :]
    assert "<code>email,name,code</code>" in hint
    assert "UTF-8 (with or without BOM), UTF-16 or GB18030" in body
    assert response.context["running"] is False
    assert 'data-running="false"' in body


def test_upload_imports_in_the_background(
    operator_client, receiver_list, import_dir, django_capture_on_commit_callbacks
):
    receiver_import, published = upload(
        operator_client, receiver_list, django_capture_on_commit_callbacks
    )
    assert receiver_import.file_name == "customers.csv"
    assert receiver_import.status == ImportStatus.QUEUED
    assert receiver_import.size == len(CSV)
    stored = list(import_dir.iterdir())
    assert [str(p) for p in stored] == [receiver_import.path]
    assert stored[0].read_text() == CSV
    # The task is published once the upload is committed.
    [publish] = published
    assert publish.func is csvimport.publish and publish.args == (receiver_import.pk,)

    queued = operator_client.get(list_url(receiver_list))
    assert queued.context["running"] is True
    assert b'data-running="true"' in queued.content
    assert b'data-testid="upload-busy"' in queued.content
    assert b"customers.csv uploaded: its addresses are being added." in queued.content
    before = progress(operator_client, receiver_list)
    assert before["running"] is True
    assert before["list"]["status"] == ListStatus.UPLOADING
    assert before["imports"][0]["status"] == ImportStatus.QUEUED
    assert before["imports"][0]["percent"] == 0

    # What the worker does.
    assert csvimport.run(receiver_import.pk) == ImportStatus.DONE
    after = progress(operator_client, receiver_list)
    assert after["running"] is False
    assert after["list"] == {
        "status": ListStatus.COMPLETE,
        "valid": 2,
        "invalid": 1,
        "total": 3,
        "variables": ["name", "code"],
    }
    [done] = after["imports"]
    assert {k: done[k] for k in ("status", "percent", "rows_read", "added", "rejected")} == {
        "status": "done",
        "percent": 100,
        "rows_read": 5,
        "added": 2,
        "rejected": 3,
    }
    assert set(after["html"]) == {"counts", "imports", "upload", "addresses"}
    assert 'data-testid="valid-count">2<' in after["html"]["counts"]
    assert "width: 100%" in after["html"]["imports"]
    assert "rejected.csv" in after["html"]["imports"]
    assert 'data-testid="upload-form"' in after["html"]["upload"]
    assert "ana@example.com" in after["html"]["addresses"]

    page = operator_client.get(list_url(receiver_list)).content.decode()
    assert 'data-testid="valid-count">2<' in page
    assert "<code>name</code>, <code>code</code>" in page
    assert "This list's columns are <code>email,name,code</code>" in page
    assert "Ana" in page and "not-an-address" in page


def test_a_failed_import_shows_its_error(
    operator_client, receiver_list, django_capture_on_commit_callbacks
):
    receiver_import, _ = upload(
        operator_client, receiver_list, django_capture_on_commit_callbacks, "email,first name\n"
    )
    csvimport.run(receiver_import.pk)
    page = operator_client.get(list_url(receiver_list)).content.decode()
    assert 'data-testid="import-error"' in page
    assert "these are not: first name." in page
    assert "Failed" in page


def test_upload_errors(operator_client, receiver_list, django_capture_on_commit_callbacks):
    missing = operator_client.post(list_url(receiver_list), {})
    assert missing.context["form"].errors["file"] == ["This field is required."]
    empty = operator_client.post(list_url(receiver_list), {"file": csv_file(b"")})
    assert empty.context["form"].errors["file"] == ["The submitted file is empty."]
    upload(operator_client, receiver_list, django_capture_on_commit_callbacks)
    busy = operator_client.post(list_url(receiver_list), {"file": csv_file()})
    assert busy.status_code == 200
    assert "upload the next one when it is done." in busy.content.decode()
    assert ReceiverImport.objects.count() == 1


def make_addresses(receiver_list, count):
    receivers.add(receiver_list, [(f"user{i:02}@example.com", None) for i in range(count)])
    receivers.add(receiver_list, [("broken@", None), ("other@example.org", None)])


def test_search_filter_and_pagination(operator_client, receiver_list):
    make_addresses(receiver_list, 60)

    def shown(**query):
        response = operator_client.get(list_url(receiver_list), query)
        assert response.status_code == 200
        return response, [a.email for a in response.context["addresses"].object_list]

    first, emails = shown()
    assert len(emails) == 50 and emails[0] == "user00@example.com"
    assert "Page 1 of 2" in first.content.decode()
    _, rest = shown(page=2)
    # In the order they were kept: a chunk's valid addresses before its invalid ones.
    assert rest == [f"user{i}@example.com" for i in range(50, 60)] + [
        "other@example.org",
        "broken@",
    ]
    _, found = shown(q="USER5")
    assert found == [f"user5{i}@example.com" for i in range(10)]
    invalid, only = shown(status=AddressStatus.INVALID)
    assert only == ["broken@"]
    assert "Invalid" in invalid.content.decode()
    paged, _ = shown(q="example.com")
    assert "?q=example.com&amp;page=2" in paged.content.decode()
    none, nothing = shown(q="nobody")
    assert nothing == [] and "No addresses match" in none.content.decode()
    # The progress endpoint draws the addresses the page shows.
    html = progress(operator_client, receiver_list, q="USER5")["html"]["addresses"]
    assert "user51@example.com" in html and "user01@example.com" not in html


def test_data_columns_are_shown(operator_client, account):
    receiver_list = make_list(account, 3)
    page = operator_client.get(list_url(receiver_list)).content.decode()
    assert "<th><code>name</code></th><th><code>code</code></th>" in page
    assert "User 1" in page and "1001" in page


def test_rejected_rows_download(operator_client, receiver_list, django_capture_on_commit_callbacks):
    content = (
        codecs.BOM_UTF8
        + CSV.replace("Nobody", "Nobody, Jr")
        .replace("not-an-address,Nobody, Jr", 'not-an-address,"Nobody, Jr"')
        .encode()
    )
    receiver_import, _ = upload(
        operator_client, receiver_list, django_capture_on_commit_callbacks, content
    )
    csvimport.run(receiver_import.pk)
    response = operator_client.get(
        list_url(receiver_list, "recipient_list_rejections", receiver_import.pk)
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="customers-rejected.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.splitlines() == [
        "\ufeffline,content,reason",
        '4,"ana@example.com,Ana again,3",The address is in the list already.',
        '5,"not-an-address,""Nobody, Jr"",4",Kept as an invalid address: '
        "'not-an-address' is not a valid email address.",
        '6,"cy@example.com,<b>Cy</b>,5",The value of name contains HTML; template data '
        "must be plain text.",
    ]


def test_delete_a_list(operator_client, receiver_list):
    make_addresses(receiver_list, 2)
    url = list_url(receiver_list, "recipient_list_delete")
    confirm = operator_client.get(url)
    assert confirm.status_code == 200
    assert "its 4 addresses are deleted" in confirm.content.decode()
    response = operator_client.post(url)
    assert response.status_code == 302 and response["Location"] == LISTS
    assert flash(response) == ["List Customers deleted."]
    assert not ReceiverList.objects.filter(pk=receiver_list.pk).exists()


def test_a_list_being_uploaded_is_not_deleted(
    operator_client, receiver_list, django_capture_on_commit_callbacks
):
    upload(operator_client, receiver_list, django_capture_on_commit_callbacks)
    url = list_url(receiver_list, "recipient_list_delete")
    assert b'data-testid="delete-blocked"' in operator_client.get(url).content
    response = operator_client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert flash(response) == [
        "Addresses are being added to this list; try again when the upload is done."
    ]
    assert ReceiverList.objects.filter(pk=receiver_list.pk).exists()


def test_a_list_a_task_sends_to_is_not_deleted(
    operator_client, account, verified_sender, approved_template
):
    receiver_list = make_list(account, 3)
    task = create_task(account, verified_sender, receiver_list, approved_template)
    url = list_url(receiver_list, "recipient_list_delete")
    page = operator_client.get(url).content.decode()
    assert f"Task {task.pk} (sending) sends to this list" in page
    response = operator_client.post(url)
    assert flash(response) == [
        f"Task {task.pk} (sending) sends to this list; cancel it or let it finish first."
    ]
    assert ReceiverList.objects.filter(pk=receiver_list.pk).exists()


# --- tenancy ------------------------------------------------------------------------


def test_another_tenants_list_answers_404(
    client, account, receiver_list, make_account, make_operator, django_capture_on_commit_callbacks
):
    owner = Client()
    owner.force_login(make_operator(account, "owner@acme.example"))
    receiver_import, _ = upload(owner, receiver_list, django_capture_on_commit_callbacks)
    csvimport.run(receiver_import.pk)

    client.force_login(make_operator(make_account("other"), "mallory@other.example"))

    def snapshot():
        receiver_list.refresh_from_db()
        return (
            receiver_list.name,
            receiver_list.status,
            receiver_list.valid_count,
            ReceiverImport.objects.filter(receiver_list=receiver_list).count(),
        )

    assert_isolated(
        client,
        [
            ("get", list_url(receiver_list)),
            ("post", list_url(receiver_list)),
            ("get", list_url(receiver_list, "recipient_list_progress")),
            ("get", list_url(receiver_list, "recipient_list_rejections", receiver_import.pk)),
            ("get", list_url(receiver_list, "recipient_list_delete")),
            ("post", list_url(receiver_list, "recipient_list_delete")),
        ],
        unchanged=snapshot,
    )
    assert "Customers" not in client.get(LISTS).content.decode()


def test_an_import_of_another_list_answers_404(
    operator_client, account, receiver_list, django_capture_on_commit_callbacks
):
    receiver_import, _ = upload(operator_client, receiver_list, django_capture_on_commit_callbacks)
    other = receivers.create(account, "Other")
    response = operator_client.get(list_url(other, "recipient_list_rejections", receiver_import.pk))
    assert response.status_code == 404
