"""The Blocklist page: the account's own blocklist and the hard bounces its mail caused."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from sending.models import CustomBlock, PlatformBlock
from sending.suppression import rules
from tests.tenancy import assert_isolated

NOW = datetime(2025, 3, 10, 8, 30, tzinfo=UTC)
URL = "/console/blocklist/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def page(client, **query):
    response = client.get(reverse("sending:blocklist"), query)
    assert response.status_code == 200
    return response


def listed(response) -> list[str]:
    return [block.email for block in response.context["page"].object_list]


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_url_and_sign_in(client, settings):
    assert reverse("sending:blocklist") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_empty_states(operator_client):
    custom = page(operator_client)
    assert custom.context["tab"] == "custom"
    assert b"Your blocklist is empty" in custom.content
    assert b'data-testid="empty-state"' in custom.content
    bounces = page(operator_client, tab="bounces")
    assert b"None of your mail has hard-bounced" in bounces.content
    body = bounces.content.decode()
    assert "Addresses blocked by other accounts' bounces stop your mail too" in body
    assert "only support can lift them" in body and "180 days" in body
    assert b"No addresses match" in page(operator_client, q="nobody").content


def test_add_shows_the_counters(operator_client, account, frozen):
    response = operator_client.post(
        URL,
        {
            "emails": "A@example.com\nb@example.com, a@example.com; not-an-address\n"
            + "x" * 250
            + "@example.com",
            "expire_date": "2025-04-01",
        },
    )
    assert response.status_code == 302 and response["Location"] == URL
    assert flash(response) == [
        "2 of 5 added to your blocklist; 1 repeated or already listed, 1 invalid, 1 too long."
    ]
    assert dict(CustomBlock.objects.filter(account=account).values_list("email", "expires_on")) == {
        "a@example.com": date(2025, 4, 1),
        "b@example.com": date(2025, 4, 1),
    }
    shown = page(operator_client)
    assert sorted(listed(shown)) == ["a@example.com", "b@example.com"]
    assert b"2025-04-01" in shown.content and b"Active" in shown.content


def test_add_errors_are_form_errors(operator_client, frozen):
    past = operator_client.post(URL, {"emails": "a@example.com", "expire_date": "2025-03-09"})
    assert past.status_code == 200
    assert b"ExpireDate must be today or a later date" in past.content
    empty = operator_client.post(URL, {"emails": "", "expire_date": ""})
    assert b"This field is required" in empty.content
    bad_date = operator_client.post(URL, {"emails": "a@example.com", "expire_date": "soon"})
    assert b"Enter a valid date" in bad_date.content
    assert not CustomBlock.objects.exists()


def test_search_and_status_filter(operator_client, account, frozen):
    rules.add_custom(account, ["short@example.com"], "2025-03-10")
    rules.add_custom(account, ["forever@example.com", "other@example.org"])
    frozen.shift(timedelta(days=1))
    assert len(listed(page(operator_client))) == 3
    assert sorted(listed(page(operator_client, q="EXAMPLE.COM"))) == [
        "forever@example.com",
        "short@example.com",
    ]
    assert listed(page(operator_client, status="expired")) == ["short@example.com"]
    expired = page(operator_client, status="expired")
    assert b"Expired" in expired.content
    active = page(operator_client, status="active", q="example.com")
    assert listed(active) == ["forever@example.com"]
    assert b"No expiry" in active.content
    assert len(listed(page(operator_client, status="bogus"))) == 3


def test_edit_expiry_and_address(operator_client, account, frozen):
    rules.add_custom(account, ["a@example.com", "b@example.com"])
    block = CustomBlock.objects.get(email="a@example.com")
    url = reverse("sending:blocklist_edit", args=[block.pk])
    form = operator_client.get(url)
    assert form.status_code == 200 and b'value="a@example.com"' in form.content
    assert b"Edit a@example.com" in form.content
    saved = operator_client.post(url, {"email": "A2@example.com", "expire_date": "2025-05-01"})
    assert saved.status_code == 302
    block.refresh_from_db()
    assert (block.email, block.expires_on) == ("a2@example.com", date(2025, 5, 1))
    assert b'value="2025-05-01"' in operator_client.get(url).content
    operator_client.post(url, {"email": "a2@example.com", "expire_date": ""})
    block.refresh_from_db()
    assert block.expires_on is None
    taken = operator_client.post(url, {"email": "b@example.com", "expire_date": ""})
    assert taken.status_code == 200 and b"already listed" in taken.content
    past = operator_client.post(url, {"email": "a2@example.com", "expire_date": "2025-01-01"})
    assert b"today or a later date" in past.content
    block.refresh_from_db()
    assert (block.email, block.expires_on) == ("a2@example.com", None)


def test_remove_custom_entry(operator_client, account):
    rules.add_custom(account, ["a@example.com", "b@example.com"])
    block = CustomBlock.objects.get(email="a@example.com")
    url = reverse("sending:blocklist_remove", args=[block.pk])
    assert b"Remove a@example.com" in operator_client.get(url).content
    assert CustomBlock.objects.filter(pk=block.pk).exists()
    response = operator_client.post(url)
    assert response["Location"] == URL
    assert list(CustomBlock.objects.values_list("email", flat=True)) == ["b@example.com"]


def test_hard_bounces_tab_search_and_remove(operator_client, account, make_account):
    mine = rules.block_hard_bounce("gone@example.com", account, "550 5.1.1 no such user")
    rules.block_hard_bounce("left@example.org", account, "550 unknown")
    rules.block_hard_bounce("theirs@example.com", make_account("other"), "550 unknown")
    tab = page(operator_client, tab="bounces")
    assert sorted(listed(tab)) == ["gone@example.com", "left@example.org"]
    assert b"550 5.1.1 no such user" in tab.content
    assert b"theirs@example.com" not in tab.content
    assert listed(page(operator_client, tab="bounces", q="org")) == ["left@example.org"]
    url = reverse("sending:blocklist_bounce_remove", args=[mine.pk])
    assert b"hard-bounced" in operator_client.get(url).content
    response = operator_client.post(url)
    assert response["Location"] == f"{URL}?tab=bounces"
    assert sorted(PlatformBlock.objects.values_list("email", flat=True)) == [
        "left@example.org",
        "theirs@example.com",
    ]


def test_expired_bounces_are_not_shown(operator_client, account, frozen):
    rules.block_hard_bounce("gone@example.com", account, "550")
    frozen.shift(timedelta(days=181))
    assert listed(page(operator_client, tab="bounces")) == []


def test_pagination_keeps_the_filters(operator_client, account, frozen):
    for i in range(30):
        rules.add_custom(account, [f"user{i:02}@example.com"])
        frozen.shift(timedelta(seconds=1))
    rules.add_custom(account, ["someone@example.org"])
    first = page(operator_client, q="example.com", status="active")
    assert len(listed(first)) == 25 and listed(first)[0] == "user29@example.com"
    body = first.content.decode()
    assert "Page 1 of 2" in body
    assert "?q=example.com&amp;status=active&amp;page=2" in body
    second = page(operator_client, q="example.com", status="active", page=2)
    assert listed(second) == [f"user{i:02}@example.com" for i in range(4, -1, -1)]


def test_other_tenant_gets_404_and_sees_nothing(client, account, make_account, make_operator):
    rules.add_custom(account, ["secret@example.com"])
    custom = CustomBlock.objects.get()
    bounce = rules.block_hard_bounce("bounced@example.com", account, "550")
    client.force_login(make_operator(make_account("other"), "mallory@other.example"))
    assert_isolated(
        client,
        [
            ("get", reverse("sending:blocklist_edit", args=[custom.pk])),
            ("post", reverse("sending:blocklist_edit", args=[custom.pk])),
            ("get", reverse("sending:blocklist_remove", args=[custom.pk])),
            ("post", reverse("sending:blocklist_remove", args=[custom.pk])),
            ("get", reverse("sending:blocklist_bounce_remove", args=[bounce.pk])),
            ("post", reverse("sending:blocklist_bounce_remove", args=[bounce.pk])),
        ],
        unchanged=lambda: (
            list(CustomBlock.objects.values()),
            list(PlatformBlock.objects.values()),
        ),
    )
    assert b"secret@example.com" not in page(client).content
    assert b"bounced@example.com" not in page(client, tab="bounces").content
    # Adding the same address on B's page makes B's own entry only.
    client.post(URL, {"emails": "secret@example.com"})
    assert CustomBlock.objects.filter(email="secret@example.com").count() == 2


def test_support_searches_and_lifts_platform_entries(admin_client, account, make_account):
    mine = rules.block_hard_bounce("gone@example.com", account, "550 no such user")
    rules.block_hard_bounce("other@example.org", make_account("other"), "550")
    changelist = admin_client.get(reverse("admin:sending_platformblock_changelist"), {"q": "acme"})
    assert changelist.status_code == 200
    assert [b.email for b in changelist.context["cl"].result_list] == ["gone@example.com"]
    assert admin_client.get(reverse("admin:sending_platformblock_add")).status_code == 403
    delete = reverse("admin:sending_platformblock_delete", args=[mine.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert list(PlatformBlock.objects.values_list("email", flat=True)) == ["other@example.org"]
    custom = admin_client.get(reverse("admin:sending_customblock_changelist"), {"q": "x"})
    assert custom.status_code == 200
