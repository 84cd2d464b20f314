"""SendEmail through the gateway: what an accepted request writes, and the limits
and lists that stop mail (quota, hourly cap, rate, blocklists, unsubscriptions,
suspension)."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from sending.models import (
    Attachment,
    CustomBlock,
    Delivery,
    DeliveryStatus,
    Message,
    PlatformBlock,
    Recipient,
    SendStatus,
    Source,
    Unsubscription,
)
from tests.sending.conftest import SENDER_NAME, TEMPLATE_DATA, b64
from tests.sending.sendhelp import change, nothing_written
from tests.tc3 import ok

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _fast(account):
    Account.objects.filter(pk=account.pk).update(
        api_rate_per_second=10_000, send_rate_per_second=10_000
    )


def send(call_api, params) -> Message:
    message_id = ok(call_api("SendEmail", params))["MessageId"]
    return Message.objects.get(message_id=message_id)


def deliveries(message):
    return [
        (d.recipient, d.kind, d.status, d.send_status) for d in message.deliveries.order_by("pk")
    ]


def today():
    return timezone.localdate().isoformat()


def statuses(call_api, **filters):
    params = {"RequestDate": today(), "Offset": 0, "Limit": 100, **filters}
    return ok(call_api("GetSendEmailStatus", params))["EmailStatusList"]


def test_accepted_request_writes_message_and_a_delivery_per_recipient(
    call_api, account, verified_sender, approved_template, send_params
):
    params = {
        **send_params,
        "Destination": ["ana@example.com", "Bo@Example.COM"],
        "Cc": ["cy@example.org"],
        "Bcc": ["dee@example.net"],
        "Subject": "Your code, {{name}}",
    }
    reply = ok(call_api("SendEmail", params))
    assert set(reply) == {"MessageId", "RequestId"}
    assert re.fullmatch(
        rf"qcloudses-30-{account.app_id}-date-\d{{14}}-[\w-]{{12}}", reply["MessageId"]
    )
    message = Message.objects.get(message_id=reply["MessageId"])
    assert (message.account, message.source, message.sender) == (
        account,
        Source.API,
        verified_sender,
    )
    assert (message.from_address, message.from_name) == (verified_sender.email, SENDER_NAME)
    assert message.subject == "Your code, Ana"
    assert message.template == approved_template
    assert message.template_revision == approved_template.approved
    assert message.template_data == TEMPLATE_DATA
    assert (message.html, message.text, message.headers) == ("", "", [])
    assert re.fullmatch(r"<[^<>@\s]+@mail\.acme\.example>", message.smtp_message_id)
    assert (message.unsubscribe, message.trigger_type, message.reply_to) == ("", 0, "")
    rendered = approved_template.approved.html.replace("{{name}}", "Ana").replace(
        "{{code}}", "1234"
    )
    assert message.size >= len(rendered)
    queued, ok_ = DeliveryStatus.QUEUED, SendStatus.OK
    assert deliveries(message) == [
        ("ana@example.com", Recipient.TO, queued, ok_),
        ("Bo@example.com", Recipient.TO, queued, ok_),
        ("cy@example.org", Recipient.CC, queued, ok_),
        ("dee@example.net", Recipient.BCC, queued, ok_),
    ]


def test_optional_fields_are_stored(call_api, account, send_params):
    params = {
        **send_params,
        "FromEmailAddress": "noreply@mail.acme.example",
        "ReplyToAddresses": "help@acme.example",
        "Unsubscribe": "2",
        "TriggerType": 1,
        "SmtpHeaders": json.dumps({"X-Campaign": "spring 春", "In-Reply-To": "<a1@b.example>"}),
        "HeaderFrom": "Acme News <news@mail.acme.example>",
        "SmtpMessageId": "order-42@mail.acme.example",
    }
    message = send(call_api, params)
    assert message.reply_to == "help@acme.example"
    assert (message.unsubscribe, message.trigger_type) == ("2", 1)
    assert message.headers == [["X-Campaign", "spring 春"], ["In-Reply-To", "<a1@b.example>"]]
    assert (message.header_from, message.from_name) == ("news@mail.acme.example", "Acme News")
    assert message.smtp_message_id == "<order-42@mail.acme.example>"


def test_without_an_alias_the_sender_name_is_used(call_api, send_params, verified_sender):
    message = send(call_api, change("FromEmailAddress", verified_sender.email)(send_params))
    assert message.from_name == SENDER_NAME
    quoted = send(
        call_api, change("FromEmailAddress", f'"Acme, Inc." <{verified_sender.email}>')(send_params)
    )
    assert quoted.from_name == "Acme, Inc."


def test_non_ascii_alias_subject_and_idn_recipient(call_api, send_params):
    params = {
        **send_params,
        "FromEmailAddress": "阿克米商店 <NoReply@Mail.Acme.Example>",
        "Subject": "您的验证码 {{code}} ✅",
        "Destination": ["ana@bücher.example"],
    }
    message = send(call_api, params)
    assert message.from_name == "阿克米商店"
    assert message.subject == "您的验证码 1234 ✅"
    assert deliveries(message)[0][0] == "ana@xn--bcher-kva.example"


def test_repeated_recipients_get_one_delivery(call_api, send_params):
    params = {
        **send_params,
        "Destination": ["ana@example.com", "ANA@example.com"],
        "Cc": ["ana@example.com"],
    }
    assert [d[:2] for d in deliveries(send(call_api, params))] == [("ana@example.com", "to")]


def test_attachments_are_stored_with_their_types(call_api, send_params):
    params = {
        **send_params,
        "Attachments": [
            {"FileName": "发票 2024.pdf", "Content": b64(PDF)},
            {"FileName": "Logo.PNG", "Content": b64(PNG)},
            {"FileName": "notes.txt", "Content": b64("line one\r\nline two\r\n")},
        ],
    }
    message = send(call_api, params)
    rows = [
        (a.filename, a.content_type, bytes(a.content), a.size)
        for a in message.attachments.order_by("pk")
    ]
    assert rows == [
        ("发票 2024.pdf", "application/pdf", PDF, len(PDF)),
        ("Logo.PNG", "image/png", PNG, len(PNG)),
        ("notes.txt", "text/plain", b"line one\r\nline two\r\n", 20),
    ]
    assert message.size > len(PDF) + len(PNG) + 20


def test_ten_attachments_of_four_megabytes_in_all_are_accepted(call_api, send_params):
    part = 4 * 1024 * 1024 // 10 - 1000
    params = {
        **send_params,
        "Attachments": [
            {"FileName": f"scan{i}.jpg", "Content": b64(b"\xff\xd8" + b"\x00" * part)}
            for i in range(10)
        ],
    }
    message = send(call_api, params)
    assert message.attachments.count() == 10
    assert message.size <= 4 * 1024 * 1024


def test_simple_content_for_an_account_allowed_to_send_it(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    params = change("Template")(send_params)
    params["Simple"] = {"Html": b64("<p>Hi {{name}}</p>"), "Text": b64("Hi {{name}}")}
    params["Subject"] = "About {{name}}"
    message = send(call_api, params)
    assert (message.html, message.text) == ("<p>Hi {{name}}</p>", "Hi {{name}}")
    assert message.subject == "About {{name}}"  # no template: nothing is filled
    assert (message.template, message.template_revision, message.template_data) == (None, None, {})


def test_the_approved_revision_sends_while_an_edit_waits(
    call_api, account, approved_template, send_params
):
    from templates_app import workflow

    first = approved_template.approved
    workflow.edit_template(
        approved_template,
        "Edited",
        "transactional",
        first.html + "<p>{{extra}}</p>",
        "",
        submit=True,
    )
    message = send(call_api, send_params)  # {{extra}} is not needed: the edit is pending
    assert message.template_revision == first


# --- limits and lists -----------------------------------------------------------------


def test_daily_quota(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(daily_quota=2)
    params = change("Destination", ["a@example.com", "b@example.com", "c@example.com"])(send_params)
    message = send(call_api, params)
    assert [(d[0], d[2], d[3]) for d in deliveries(message)] == [
        ("a@example.com", DeliveryStatus.QUEUED, SendStatus.OK),
        ("b@example.com", DeliveryStatus.QUEUED, SendStatus.OK),
        ("c@example.com", DeliveryStatus.DROPPED, SendStatus.DAILY_LIMIT),
    ]
    dropped = statuses(call_api, ToEmailAddress="c@example.com")
    assert [(s["SendStatus"], s["DeliverStatus"]) for s in dropped] == [(1010, 2)]
    reply = call_api("SendEmail", change("Destination", ["d@example.com"])(send_params))
    assert reply.code == "FailedOperation.ExceedSendLimit"
    assert Message.objects.count() == 1 and Delivery.objects.count() == 3


def test_hourly_cap_per_recipient(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(hourly_per_recipient=1)
    send(call_api, send_params)
    reply = call_api("SendEmail", send_params)
    assert reply.code == "FailedOperation.FrequencyLimit"
    assert Message.objects.count() == 1


def test_per_second_rate_paces_instead_of_refusing(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(send_rate_per_second=1)
    params = change("Destination", ["a@example.com", "b@example.com"])(send_params)
    message = send(call_api, params)
    first, second = message.deliveries.order_by("next_attempt_at")
    assert second.next_attempt_at - first.next_attempt_at == timedelta(seconds=1)


@pytest.mark.parametrize("block", ["custom", "platform"])
def test_blocklisted_recipients_are_dropped(call_api, account, send_params, block):
    if block == "custom":
        CustomBlock.objects.create(account=account, email="blocked@example.com")
    else:
        PlatformBlock.objects.create(
            email="blocked@example.com", expires_at=timezone.now() + timedelta(days=1)
        )
    params = change("Destination", ["ana@example.com", "Blocked@Example.com"])(send_params)
    message = send(call_api, params)
    assert [(d[2], d[3]) for d in deliveries(message)] == [
        (DeliveryStatus.QUEUED, SendStatus.OK),
        (DeliveryStatus.DROPPED, SendStatus.BLOCKLISTED),
    ]
    dropped = statuses(call_api, ToEmailAddress="blocked@example.com")
    assert [(s["SendStatus"], s["DeliverStatus"], s["DeliverMessage"]) for s in dropped] == [
        (1007, 2, "Address in a blocklist")
    ]
    reply = call_api("SendEmail", change("Destination", ["blocked@example.com"])(send_params))
    assert reply.code == "FailedOperation.EmailAddrInBlacklist"
    assert Message.objects.count() == 1


def test_unsubscribed_recipients_are_dropped(call_api, account, send_params):
    Unsubscription.objects.create(account=account, email="gone@example.com")
    message = send(
        call_api, change("Destination", ["ana@example.com", "gone@example.com"])(send_params)
    )
    assert [d[3] for d in deliveries(message)] == [SendStatus.OK, SendStatus.UNSUBSCRIBED]
    assert statuses(call_api, ToEmailAddress="gone@example.com")[0]["SendStatus"] == 1013
    reply = call_api("SendEmail", change("Destination", ["gone@example.com"])(send_params))
    assert reply.code == "FailedOperation.ReceiverHasUnsubscribed"
    assert Message.objects.count() == 1


def test_suspended_account_is_refused_before_anything_else(call_api, account, send_params):
    Account.objects.filter(pk=account.pk).update(
        sending_suspended=True, suspension_reason="Bounce rate 9%."
    )
    for params in (send_params, change("Subject", "")(send_params)):
        reply = call_api("SendEmail", params)
        assert reply.code == "FailedOperation.HighRejectionRate"
        assert "Bounce rate 9%." in reply.message
    assert nothing_written()


# --- tenants ------------------------------------------------------------------------


def test_another_tenant_can_use_neither_the_sender_nor_the_template(
    other_tenant_api, make_sender, make_template, send_params
):
    b = other_tenant_api.account
    Account.objects.filter(pk=b.pk).update(send_rate_per_second=10_000)
    assert other_tenant_api("SendEmail", send_params).code == "InvalidParameterValue.NoSuchSender"
    own_sender = make_sender(b, "hello@b-shop.example")
    params = change("FromEmailAddress", own_sender.email)(send_params)
    assert other_tenant_api("SendEmail", params).code == "FailedOperation.InvalidTemplateID"
    params = change("Template.TemplateID", make_template(b, name="B code").pk)(params)
    assert ok(other_tenant_api("SendEmail", params))["MessageId"].startswith(
        f"qcloudses-30-{b.app_id}-"
    )
    assert Attachment.objects.count() == 0 and Message.objects.get().account == b
