"""What operators and API clients see of delivery: the message page's timeline,
GetSendEmailStatus, and the account's delivery settings."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sending.models import DeliveryStatus
from tests.sending.conftest import RCPT_DOMAIN
from tests.sending.deliveryhelp import deliver_all, status_of
from tests.smtpservers import Recorder
from tests.tenancy import assert_isolated

pytestmark = pytest.mark.django_db


def test_message_page_shows_each_attempt(recipient_mx, send_text, operator_client, tls_ca):
    server = recipient_mx(
        Recorder(refuse={f"gone@{RCPT_DOMAIN}": "550 5.1.1 User unknown"}),
        tls_context=tls_ca.server_context(),
    )
    message = send_text(to=[f"ana@{RCPT_DOMAIN}", f"gone@{RCPT_DOMAIN}"])
    page = operator_client.get(reverse("sending:message", args=[message.pk])).content.decode()
    assert "Waiting for its first attempt." in page
    deliver_all(RCPT_DOMAIN)
    page = operator_client.get(reverse("sending:message", args=[message.pk])).content.decode()
    assert f"mx.{RCPT_DOMAIN}" in page and f"[127.0.0.1]:{server.port}" in page
    assert "TLSv1.3" in page or "TLSv1.2" in page
    assert "250 2.0.0 queued" in page
    assert "550 5.1.1 User unknown" in page
    assert "Bounce</strong> (hard)" in page
    assert page.count('data-testid="timeline"') == 2


def test_policy_refusals_are_flagged(recipient_mx, send_text, operator_client):
    recipient_mx(Recorder(data_reply="550 5.7.1 Refused: poor reputation"))
    refused = send_text()
    deliver_all(RCPT_DOMAIN)
    page = operator_client.get(reverse("sending:message", args=[refused.pk])).content.decode()
    assert "Policy refusal: not the recipient's fault" in page


def test_deferred_shows_the_next_attempt(recipient_mx, send_text, operator_client):
    recipient_mx(Recorder(data_reply="451 4.3.0 later"))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    page = operator_client.get(reverse("sending:message", args=[message.pk])).content.decode()
    assert "Next attempt" in page
    assert status_of(message).next_attempt_at.strftime("%Y-%m-%d %H:%M") in page


def test_get_send_email_status_reports_delivery(recipient_mx, send_text, call_api):
    recipient_mx(Recorder(refuse={f"gone@{RCPT_DOMAIN}": "550 5.1.1 User unknown"}))
    message = send_text(to=[f"ana@{RCPT_DOMAIN}", f"gone@{RCPT_DOMAIN}"])
    day = timezone.localdate().isoformat()
    params = {"RequestDate": day, "Offset": 0, "Limit": 10, "MessageId": message.message_id}
    before = call_api("GetSendEmailStatus", params).response["EmailStatusList"]
    assert [(s["DeliverStatus"], s["DeliverTime"]) for s in before] == [(0, 0), (0, 0)]
    deliver_all(RCPT_DOMAIN)
    after = {
        s["ToEmailAddress"]: s
        for s in call_api("GetSendEmailStatus", params).response["EmailStatusList"]
    }
    delivered = status_of(message, f"ana@{RCPT_DOMAIN}")
    assert after[f"ana@{RCPT_DOMAIN}"]["DeliverStatus"] == 1
    assert after[f"ana@{RCPT_DOMAIN}"]["DeliverTime"] == int(delivered.delivered_at.timestamp())
    assert after[f"gone@{RCPT_DOMAIN}"]["DeliverStatus"] == 3
    assert after[f"gone@{RCPT_DOMAIN}"]["DeliverMessage"] == "550 5.1.1 User unknown"
    assert status_of(message, f"gone@{RCPT_DOMAIN}").status == DeliveryStatus.BOUNCED


def test_delivery_settings_page(operator_client, account):
    url = reverse("delivery_settings")
    page = operator_client.get(url)
    assert page.status_code == 200
    assert "Only deliver over TLS" in page.content.decode()
    response = operator_client.post(url, {"tls_required": "on"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.tls_required is True
    operator_client.post(url, {})
    account.refresh_from_db()
    assert account.tls_required is False


def test_delivery_settings_need_an_operator(client, account):
    url = reverse("delivery_settings")
    response = client.post(url, {"tls_required": "on"})
    assert response.status_code == 302 and "login" in response["Location"]
    account.refresh_from_db()
    assert account.tls_required is False


def test_delivery_settings_change_only_the_operators_account(
    operator_client, account, make_account
):
    other = make_account("beta")
    operator_client.post(reverse("delivery_settings"), {"tls_required": "on"})
    other.refresh_from_db()
    assert other.tls_required is False


def test_policy_refusals_on_the_overview_and_in_the_log(recipient_mx, send_text, operator_client):
    recipient_mx(
        Recorder(
            refuse={
                f"strict@{RCPT_DOMAIN}": "550 5.7.1 Refused by policy",
                f"gone@{RCPT_DOMAIN}": "550 5.1.1 No such user",
            }
        )
    )
    overview = operator_client.get(reverse("overview")).content.decode()
    assert 'data-testid="policy-refusals"' not in overview
    send_text(to=[f"strict@{RCPT_DOMAIN}", f"gone@{RCPT_DOMAIN}", f"ok@{RCPT_DOMAIN}"])
    deliver_all(RCPT_DOMAIN)
    overview = operator_client.get(reverse("overview")).content.decode()
    assert "1 message refused for policy or reputation" in overview
    log = operator_client.get(reverse("sending:messages"), {"status": "policy"}).content.decode()
    assert f"strict@{RCPT_DOMAIN}" in log
    assert f"gone@{RCPT_DOMAIN}" not in log and f"ok@{RCPT_DOMAIN}" not in log
    assert "550 5.7.1 Refused by policy" in log


def test_policy_refusals_of_another_account_are_not_counted(
    recipient_mx, send_text, client, make_account, make_operator
):
    recipient_mx(Recorder(data_reply="550 5.7.1 Refused by policy"))
    send_text()
    deliver_all(RCPT_DOMAIN)
    other = make_operator(make_account("beta"), "bob@beta.example")
    client.force_login(other)
    assert 'data-testid="policy-refusals"' not in client.get(reverse("overview")).content.decode()
    log = client.get(reverse("sending:messages"), {"status": "policy"}).content.decode()
    assert f"ana@{RCPT_DOMAIN}" not in log


def test_attempts_and_timelines_are_isolated(
    recipient_mx, send_text, client, make_account, make_operator
):
    recipient_mx(Recorder(data_reply="451 4.3.0 later"))
    message = send_text()
    deliver_all(RCPT_DOMAIN)
    client.force_login(make_operator(make_account("beta"), "mallory@beta.example"))
    assert_isolated(client, [("get", reverse("sending:message", args=[message.pk]))])
    for status in ("", "deferred", "policy"):
        log = client.get(reverse("sending:messages"), {"status": status}).content.decode()
        assert f"ana@{RCPT_DOMAIN}" not in log and "451 4.3.0" not in log


def test_support_sees_attempts_and_smtp_failures_in_the_admin(recipient_mx, send_text, client, db):
    from accounts.models import User
    from domains.models import SmtpAuthFailure

    recipient_mx(Recorder(data_reply="451 4.3.0 later"))
    send_text()
    deliver_all(RCPT_DOMAIN)
    SmtpAuthFailure.objects.create(username="nobody@x.test", client_ip="192.0.2.7", reason="x")
    support = User.objects.create_user(email="sam@platform.example", is_staff=True)
    support.is_superuser = True
    support.save()
    client.force_login(support)
    attempts = client.get(reverse("admin:sending_attempt_changelist")).content.decode()
    assert f"mx.{RCPT_DOMAIN}" in attempts
    failures = client.get(reverse("admin:domains_smtpauthfailure_changelist")).content.decode()
    assert "nobody@x.test" in failures and "192.0.2.7" in failures
