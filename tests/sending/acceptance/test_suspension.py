"""Accounts whose recipients bounce onto the blocklist too often are suspended."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from domains.models import DomainStatus, SenderAddress, SenderDomain
from sending.acceptance import suspension
from sending.acceptance.service import SendRequest, accept
from sending.delivery.outcomes import Try, record
from sending.models import Delivery, DeliveryStatus, Message, PlatformBlock
from sending.smtp.status import classify, parse_reply
from sesconsole.refusals import Refusal


@pytest.fixture
def sender(account):
    domain = SenderDomain.objects.create(
        account=account, name="mail.acme.test", status=DomainStatus.VERIFIED
    )
    return SenderAddress.objects.create(account=account, domain=domain, email="news@mail.acme.test")


def recipients(account, count, bounced, reply="550 5.1.1 User unknown", when=None):
    """`count` recipients of one message, the first `bounced` of them refused with `reply`
    and the others delivered, each outcome recorded as delivery records it."""
    when = when or timezone.now()
    message = Message.objects.create(
        account=account, message_id=f"m-{when.timestamp()}-{count}", subject="s", created_at=when
    )
    code = int(reply[:3])
    refused = classify(code, *parse_reply(reply[4:], code))
    accepted = classify(250, "2.0.0", "queued")
    for i in range(count):
        delivery = Delivery.objects.create(
            message=message,
            account=account,
            recipient=f"r{i}@x.test",
            created_at=when,
            status=DeliveryStatus.SENDING,
            claim_token="t",
        )
        record(delivery, "t", [Try(refused if i < bounced else accepted)], now=when)


@pytest.mark.django_db
def test_suspends_at_eight_percent_of_unknown_mailboxes(make_account, settings):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 100
    seven, eight = make_account("seven"), make_account("eight")
    recipients(seven, 100, 7)
    recipients(eight, 100, 8)
    assert suspension.evaluate(seven) is False
    assert suspension.evaluate(eight) is True
    eight.refresh_from_db()
    assert eight.sending_suspended and "8 of 100" in eight.suspension_reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reply", "suspended"),
    [
        ("550 5.1.1 User unknown", True),
        ("550 5.1.2 Domain not found", True),
        ("550 5.7.1 Our IP is on a blocklist", False),
        ("554 5.7.26 Unauthenticated mail is refused", False),
        ("552 5.2.2 Mailbox full", False),
        ("554 5.6.0 Message content rejected", False),
    ],
)
def test_only_hard_bounces_of_bad_mailboxes_count(account, settings, reply, suspended):
    """8% policy refusals of our IP or full mailboxes are soft bounces: not the
    addresses' fault, so no suspension; 8% unknown mailboxes suspend."""
    settings.SES_SUSPEND_MIN_RECIPIENTS = 100
    recipients(account, 100, 8, reply=reply)
    assert Delivery.objects.filter(status=DeliveryStatus.BOUNCED).count() == 8
    assert suspension.evaluate_all() == int(suspended)


@pytest.mark.django_db
def test_small_volume_and_old_bounces_do_not_count(account, settings):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 100
    recipients(account, 50, 25)
    assert suspension.evaluate(account) is False
    old = timezone.now() - timedelta(days=settings.SES_SUSPEND_WINDOW_DAYS + 1)
    Delivery.objects.all().delete()
    recipients(account, 200, 100, when=old)
    assert suspension.evaluate(account) is False


@pytest.mark.django_db
def test_removing_blocklist_entries_does_not_lower_the_share(account, settings):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 10
    recipients(account, 10, 1)
    assert PlatformBlock.objects.filter(email="r0@x.test", caused_by=account).exists()
    PlatformBlock.objects.all().delete()
    assert suspension.evaluate(account) is True


@pytest.mark.django_db
def test_suspended_account_cannot_send_and_sees_why(account, sender, operator_client, settings):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 10
    recipients(account, 10, 1)
    assert suspension.evaluate_all() == 1
    account.refresh_from_db()
    with pytest.raises(Refusal) as refused:
        accept(account, SendRequest(sender=sender, subject="s", to=["a@x.test"], text="t"))
    assert refused.value.code == "FailedOperation.HighRejectionRate"
    assert "1 of 10" in refused.value.message
    page = operator_client.get(reverse("overview")).content.decode()
    assert "Sending is suspended." in page and "1 of 10" in page


@pytest.mark.django_db
def test_support_lifts_it_and_the_count_starts_afresh(admin_client, account, settings):
    settings.SES_SUSPEND_MIN_RECIPIENTS = 10
    recipients(account, 10, 1)
    suspension.evaluate(account)
    url = reverse("admin:accounts_account_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "sending_suspended"}
    data.update({"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    account.refresh_from_db()
    assert not account.sending_suspended and account.suspension_lifted_at
    assert suspension.evaluate(Account.objects.get(pk=account.pk)) is False
