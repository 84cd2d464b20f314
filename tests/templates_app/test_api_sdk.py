"""The official SDK's typed SesClient against a live server: the five template actions."""

import base64

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models

from accounts.models import User
from templates_app import workflow
from templates_app.models import EmailTemplate, TemplateRevision
from tests.sdk import sdk_request

pytestmark = pytest.mark.django_db(transaction=True)

request = sdk_request

# An order notice in Chinese with an English summary: more than 50 words either way,
# with emoji (outside the Basic Multilingual Plane) in both parts and the name.
# Chinese text is written with its full-width punctuation, as customers write it.
ZH = (
    "您好 {{name}}，您在本店购买的商品已经打包完成，今天下午由快递公司揽收发出。"  # noqa: RUF001
    "快递单号会在包裹离开仓库后另行通知，预计三到五个工作日送达。📦🚚"  # noqa: RUF001
    "如需修改收货地址，请在今天中午十二点前回复本邮件。感谢您的支持！😊"  # noqa: RUF001
)
EN = (
    "Hello {{name}}, the items you ordered have been packed and leave our warehouse this "
    "afternoon. We will send the tracking number in a separate message once the courier "
    "collects the parcel. Delivery usually takes three to five working days. To change the "
    "delivery address, reply to this message before noon today. Thank you for your order."
)
HTML = f"<html><body><p>{ZH}</p><p>{EN}</p><p>✅ 发货成功 — Ünïcödé ✓</p></body></html>"
TEXT = f"{ZH}\n\n{EN}\n\n✅ 发货成功 — Ünïcödé ✓\n"
NAME = "订单发货通知 📦 Order shipped"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def template_content(html: str | None = HTML, text: str | None = TEXT):
    return request(
        "TemplateContent",
        Html=None if html is None else b64(html),
        Text=None if text is None else b64(text),
    )


@pytest.fixture
def client(ses_client):
    return ses_client


def test_template_actions(client, account):
    created = client.CreateEmailTemplate(
        request("CreateEmailTemplateRequest", TemplateName=NAME, TemplateContent=template_content())
    )
    assert created.RequestId
    template_id = created.TemplateID
    assert isinstance(template_id, int)
    template = EmailTemplate.objects.get(pk=template_id, account=account)
    assert (template.latest.name, template.latest.html, template.latest.text) == (NAME, HTML, TEXT)

    got = client.GetEmailTemplate(request("GetEmailTemplateRequest", TemplateID=template_id))
    assert isinstance(got.TemplateContent, models.TemplateContent)
    assert (got.TemplateContent.Html, got.TemplateContent.Text) == (b64(HTML), b64(TEXT))
    assert base64.b64decode(got.TemplateContent.Html) == HTML.encode("utf-8")
    assert base64.b64decode(got.TemplateContent.Text) == TEXT.encode("utf-8")
    assert got.TemplateName == NAME
    assert got.TemplateStatus == 1

    new_html = HTML.replace("📦🚚", "🎁🛵")
    updated = client.UpdateEmailTemplate(
        request(
            "UpdateEmailTemplateRequest",
            TemplateID=template_id,
            TemplateName="发货通知 🎁",
            TemplateContent=template_content(new_html, None),
        )
    )
    assert updated.RequestId
    got = client.GetEmailTemplate(request("GetEmailTemplateRequest", TemplateID=template_id))
    assert base64.b64decode(got.TemplateContent.Html).decode("utf-8") == new_html
    assert got.TemplateContent.Text == ""
    assert (got.TemplateName, got.TemplateStatus) == ("发货通知 🎁", 1)

    short = client.CreateEmailTemplate(
        request(
            "CreateEmailTemplateRequest",
            TemplateName="短",
            TemplateContent=template_content(None, "已发货 ✓"),
        )
    )
    listed = client.ListEmailTemplates(request("ListEmailTemplatesRequest", Limit=10, Offset=0))
    assert listed.TotalCount == 2
    assert all(isinstance(m, models.TemplatesMetadata) for m in listed.TemplatesMetadata)
    newest, oldest = listed.TemplatesMetadata
    assert (newest.TemplateID, newest.TemplateName, newest.TemplateStatus) == (
        short.TemplateID,
        "短",
        2,
    )
    assert "words" in newest.ReviewReason
    assert (oldest.TemplateID, oldest.TemplateName, oldest.TemplateStatus) == (
        template_id,
        "发货通知 🎁",
        1,
    )
    assert oldest.ReviewReason == ""
    assert oldest.CreatedTimestamp == int(template.created_at.timestamp())
    page = client.ListEmailTemplates(request("ListEmailTemplatesRequest", Limit=1, Offset=1))
    assert [m.TemplateID for m in page.TemplatesMetadata] == [template_id]
    assert page.TotalCount == 2

    deleted = client.DeleteEmailTemplate(
        request("DeleteEmailTemplateRequest", TemplateID=template_id)
    )
    assert deleted.RequestId
    assert not EmailTemplate.objects.filter(pk=template_id).exists()
    listed = client.ListEmailTemplates(request("ListEmailTemplatesRequest", Limit=0, Offset=0))
    assert [m.TemplateID for m in listed.TemplatesMetadata] == [short.TemplateID]


def test_approved_status_through_the_sdk(client, account):
    template = workflow.create_template(account, NAME, "transactional", HTML, TEXT, submit=True)
    reviewer = User.objects.create_user(email="rita@platform.example", is_reviewer=True)
    workflow.decide(template.latest, reviewer, "approved")
    got = client.GetEmailTemplate(request("GetEmailTemplateRequest", TemplateID=template.pk))
    assert (got.TemplateStatus, got.TemplateName) == (0, NAME)
    (meta,) = client.ListEmailTemplates(
        request("ListEmailTemplatesRequest", Limit=100, Offset=0)
    ).TemplatesMetadata
    assert (meta.TemplateStatus, meta.ReviewReason) == (0, "")


ERRORS = [
    (
        "CreateEmailTemplate",
        {"TemplateName": NAME, "TemplateContent": request("TemplateContent", Html="不是base64")},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "UpdateEmailTemplate",
        {"TemplateID": 424242, "TemplateName": NAME, "TemplateContent": template_content()},
        "InvalidParameterValue.TemplateNotExist",
    ),
    ("GetEmailTemplate", {"TemplateID": 424242}, "InvalidParameterValue.TemplateNotExist"),
    ("ListEmailTemplates", {"Limit": 101, "Offset": 0}, "FailedOperation.InvalidLimit"),
    ("DeleteEmailTemplate", {"TemplateID": 424242}, "InvalidParameterValue.TemplateNotExist"),
]


@pytest.mark.parametrize(("action", "fields", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(client, account, action, fields, code):
    workflow.create_template(account, "Existing", "transactional", HTML, TEXT, submit=True)
    before = list(TemplateRevision.objects.values())
    with pytest.raises(TencentCloudSDKException) as info:
        getattr(client, action)(request(f"{action}Request", **fields))
    assert info.value.get_code() == code
    assert info.value.get_message()
    assert info.value.get_request_id()
    assert list(TemplateRevision.objects.values()) == before
