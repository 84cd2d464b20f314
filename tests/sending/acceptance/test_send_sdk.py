"""The official SDK's typed SesClient against a live server: SendEmail and
GetSendEmailStatus, success and each family of error codes."""

import json

import pytest
from django.utils import timezone
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from accounts.models import Account
from sending.models import Attachment, Delivery, Message, Recipient
from tests.sdk import sdk_request
from tests.sending.conftest import SENDER_EMAIL, b64

pytestmark = pytest.mark.django_db(transaction=True)

request = sdk_request
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))


@pytest.fixture
def client(ses_client, account):
    Account.objects.filter(pk=account.pk).update(send_rate_per_second=10_000)
    return ses_client


def template(approved_template, **data):
    data = data or {"name": "Ana", "code": "1234"}
    return request(
        "Template",
        TemplateID=approved_template.pk,
        TemplateData=json.dumps(data, ensure_ascii=False),
    )


def send_request(approved_template, **fields):
    base = {
        "FromEmailAddress": f"阿克米商店 <{SENDER_EMAIL}>",
        "Destination": ["ana@example.com"],
        "Subject": "您的验证码 {{code}} ✅",
        "Template": template(approved_template),
    }
    return request("SendEmailRequest", **{**base, **fields})


def refused(call) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    assert caught.value.requestId
    return caught.value


def test_send_with_attachments_non_ascii_subject_and_alias(
    client, account, verified_sender, approved_template
):
    attachments = [
        request("Attachment", FileName="发票.pdf", Content=b64(PDF)),
        request("Attachment", FileName="photo.jpg", Content=b64(JPEG)),
    ]
    reply = client.SendEmail(
        send_request(
            approved_template,
            Cc=["cy@example.org"],
            Bcc=["dee@example.net"],
            ReplyToAddresses="help@example.com",
            Attachments=attachments,
            Unsubscribe="1",
            TriggerType=1,
            SmtpHeaders=json.dumps({"X-Order": "订单 42"}),
        )
    )
    assert reply.MessageId.startswith(f"qcloudses-30-{account.app_id}-date-")
    assert reply.RequestId
    message = Message.objects.get(message_id=reply.MessageId)
    assert (message.from_name, message.subject) == ("阿克米商店", "您的验证码 1234 ✅")
    assert (message.unsubscribe, message.trigger_type) == ("1", 1)
    assert message.headers == [["X-Order", "订单 42"]]
    kinds = list(Delivery.objects.filter(message=message).values_list("recipient", "kind"))
    assert sorted(kinds) == [
        ("ana@example.com", Recipient.TO),
        ("cy@example.org", Recipient.CC),
        ("dee@example.net", Recipient.BCC),
    ]
    stored = Attachment.objects.filter(message=message).order_by("pk")
    assert [(a.filename, a.content_type, bytes(a.content)) for a in stored] == [
        ("发票.pdf", "application/pdf", PDF),
        ("photo.jpg", "image/jpeg", JPEG),
    ]


def test_simple_content_both_ways(client, account, verified_sender, approved_template):
    simple = request("Simple", Html=b64("<p>你好</p>"), Text=b64("你好"))
    params = send_request(approved_template, Template=None, Simple=simple, Subject="Hi")
    error = refused(lambda: client.SendEmail(params))
    assert (error.code, error.message) == (
        "FailedOperation.WithOutPermission",
        "You can only send emails with a template.",
    )
    Account.objects.filter(pk=account.pk).update(allow_custom_content=True)
    message = Message.objects.get(message_id=client.SendEmail(params).MessageId)
    assert (message.html, message.text, message.template) == ("<p>你好</p>", "你好", None)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"FromEmailAddress": "nobody@mail.acme.example"}, "InvalidParameterValue.NoSuchSender"),
        ({"FromEmailAddress": "Acme<x>"}, "FailedOperation.IncorrectSender"),
        (
            {"Destination": ["ana@example.com\r\nBcc: x@evil.example"]},
            "InvalidParameterValue.IllegalEmailAddress",
        ),
        (
            {"Destination": [f"u{i}@example.com" for i in range(51)]},
            "FailedOperation.TooManyRecipients",
        ),
        ({"Subject": ""}, "InvalidParameterValue.SubjectLengthError"),
        ({"Subject": "Hi\r\nBcc: x@evil.example"}, "InvalidParameterValue"),
        ({"Template": None}, "FailedOperation.MissingEmailContent"),
        ({"TemplateData": {"name": "Ana"}}, "InvalidParameterValue.TemplateDataError"),
        ({"SmtpHeaders": '{"From": "ceo@bank.example"}'}, "InvalidParameterValue"),
        (
            {"Attachments": [{"FileName": "a.exe", "Content": "TVo="}]},
            "FailedOperation.InvalidAttachName",
        ),
        (
            {"Attachments": [{"FileName": "a.pdf", "FileURL": "https://x.example/a"}]},
            "UnsupportedOperation",
        ),
        ({"FromEmailAddress": None}, "MissingParameter"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_error_families(client, verified_sender, approved_template, fields, code):
    fields = dict(fields)
    if "TemplateData" in fields:
        fields["Template"] = template(approved_template, **fields.pop("TemplateData"))
    if "Attachments" in fields:
        fields["Attachments"] = [request("Attachment", **a) for a in fields["Attachments"]]
    error = refused(lambda: client.SendEmail(send_request(approved_template, **fields)))
    assert error.code == code, error.message
    assert not Message.objects.exists() and not Delivery.objects.exists()


def test_template_not_approved(client, account, verified_sender, make_template):
    pending = make_template(account, name="Pending", approve=False)
    error = refused(lambda: client.SendEmail(send_request(pending)))
    assert error.code == "OperationDenied.TemplateStatusError"


def test_get_send_email_status(client, account, verified_sender, approved_template):
    Account.objects.filter(pk=account.pk).update(daily_quota=1)
    reply = client.SendEmail(
        send_request(approved_template, Destination=["a@example.com", "b@example.com"])
    )
    today = timezone.localdate().isoformat()
    status = client.GetSendEmailStatus(
        request("GetSendEmailStatusRequest", RequestDate=today, Offset=0, Limit=10)
    )
    rows = status.EmailStatusList
    assert [type(row).__name__ for row in rows] == ["SendEmailStatus"] * 2
    assert [(r.ToEmailAddress, r.SendStatus, r.DeliverStatus) for r in rows] == [
        ("a@example.com", 0, 0),
        ("b@example.com", 1010, 2),
    ]
    assert {r.MessageId for r in rows} == {reply.MessageId}
    assert rows[0].FromEmailAddress == SENDER_EMAIL
    assert isinstance(rows[0].RequestTime, int) and rows[0].DeliverTime == 0
    assert rows[0].UserOpened is False and rows[0].UserComplained is False
    filtered = client.GetSendEmailStatus(
        request(
            "GetSendEmailStatusRequest",
            RequestDate=today,
            Offset=0,
            Limit=10,
            MessageId=reply.MessageId,
            ToEmailAddress="B@example.com",
        )
    )
    assert [r.ToEmailAddress for r in filtered.EmailStatusList] == ["b@example.com"]
    for params, code in (
        ({"Limit": 101}, "FailedOperation.InvalidLimit"),
        ({"RequestDate": "2020-09-22"}, "FailedOperation.NotSupportDate"),
        ({"RequestDate": "22/09/2020"}, "InvalidParameterValue.WrongDate"),
    ):
        fields = {"RequestDate": today, "Offset": 0, "Limit": 10, **params}
        error = refused(
            lambda f=fields: client.GetSendEmailStatus(request("GetSendEmailStatusRequest", **f))
        )
        assert error.code == code
