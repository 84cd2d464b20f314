"""API actions for email templates (group C of the spec).

Thin handlers: the rules (name, content, size, count limit, review) live in
templates_app.workflow, which raises the Tencent error codes. This module
decodes and encodes the base64 TemplateContent and shapes the replies.

Choices where the spec is silent:
- TemplateContent parts are strict base64 (no whitespace, correct padding) of
  UTF-8 text without NUL characters; anything else is TemplateContentIsWrong.
- GetEmailTemplate answers with the latest revision, the one under review
  after an update, and always gives both Html and Text: "" for an absent part.
- ListEmailTemplates: newest first; Limit 0 means all the rest, as in
  ListEmailIdentities (the official example sends Limit 0). ReviewReason is the
  reviewer's reason for the latest revision's decision (the official example
  shows one for an approval too), "" while it is undecided.
"""

import base64
import binascii
from typing import cast

from django.db import transaction

from sesconsole.api.paging import page_slice
from sesconsole.api.registry import ApiContext, action
from sesconsole.refusals import Refusal

from . import workflow
from .models import API_DEFAULT_CATEGORY, EmailTemplate, RevisionStatus, TemplateRevision

# TemplateStatus of the API; a draft is "anything else: unavailable". Keyed by the
# stored values (RevisionStatus members are those strings).
API_STATUS: dict[str, int] = {
    RevisionStatus.APPROVED: 0,
    RevisionStatus.PENDING: 1,
    RevisionStatus.REJECTED: 2,
    RevisionStatus.DRAFT: 3,
}


def decode_part(value: str | None, part: str) -> str:
    """One TemplateContent part as text; None or "" is an empty part."""
    if not value:
        return ""
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise Refusal(
            "InvalidParameterValue.TemplateContentIsWrong",
            f"TemplateContent.{part} must be the base64 encoding of UTF-8 text.",
        ) from exc
    if "\x00" in text:
        raise Refusal(
            "InvalidParameterValue.TemplateContentIsWrong",
            f"TemplateContent.{part} must not contain NUL characters.",
        )
    return text


def encode_part(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode_content(content: dict) -> tuple[str, str]:
    """(html, text) from a TemplateContent object."""
    return decode_part(content.get("Html"), "Html"), decode_part(content.get("Text"), "Text")


def get_template(account, template_id: int) -> EmailTemplate:
    """The account's template, or TemplateNotExist (also for another account's ID).

    IDs beyond the database's 64-bit range never get here: the gateway refuses them.
    """
    template = (
        EmailTemplate.objects.filter(account=account, pk=template_id)
        .select_related("latest")
        .first()
    )
    if template is None or template.latest is None:
        raise Refusal(
            "InvalidParameterValue.TemplateNotExist",
            f"There is no template {template_id}; create the template first.",
        )
    return template


def _latest(template: EmailTemplate) -> TemplateRevision:
    """The latest revision of a template that has one (get_template's, or listed)."""
    return cast(TemplateRevision, template.latest)


@action("CreateEmailTemplate")
def create_email_template(ctx: ApiContext, params: dict) -> dict:
    html, text = decode_content(params["TemplateContent"])
    with transaction.atomic():
        template = workflow.create_template(
            ctx.account, params["TemplateName"], API_DEFAULT_CATEGORY, html, text, submit=True
        )
    return {"TemplateID": template.pk}


@action("UpdateEmailTemplate")
def update_email_template(ctx: ApiContext, params: dict) -> dict:
    html, text = decode_content(params["TemplateContent"])
    with transaction.atomic():
        template = get_template(ctx.account, params["TemplateID"])
        workflow.edit_template(
            template, params["TemplateName"], _latest(template).category, html, text, submit=True
        )
    return {}


@action("GetEmailTemplate")
def get_email_template(ctx: ApiContext, params: dict) -> dict:
    latest = _latest(get_template(ctx.account, params["TemplateID"]))
    return {
        "TemplateContent": {"Html": encode_part(latest.html), "Text": encode_part(latest.text)},
        "TemplateStatus": API_STATUS[latest.status],
        "TemplateName": latest.name,
    }


def review_reason(revision) -> str:
    """The reason given with the revision's decision. A revision is decided at most once."""
    if revision.status not in (RevisionStatus.REJECTED, RevisionStatus.APPROVED):
        return ""
    decision = next(iter(revision.decisions.all()), None)  # prefetched
    return decision.reason if decision else ""


@action("ListEmailTemplates")
def list_email_templates(ctx: ApiContext, params: dict) -> dict:
    templates = EmailTemplate.objects.filter(account=ctx.account, latest__isnull=False)
    page = (
        templates.select_related("latest")
        .prefetch_related("latest__decisions")
        .order_by("-created_at", "-pk")[page_slice(params)]
    )
    return {
        "TemplatesMetadata": [
            {
                "TemplateID": template.pk,
                "TemplateName": _latest(template).name,
                "TemplateStatus": API_STATUS[_latest(template).status],
                "CreatedTimestamp": int(template.created_at.timestamp()),
                "ReviewReason": review_reason(_latest(template)),
            }
            for template in page
        ],
        "TotalCount": templates.count(),
    }


@action("DeleteEmailTemplate")
def delete_email_template(ctx: ApiContext, params: dict) -> dict:
    with transaction.atomic():
        workflow.delete_template(get_template(ctx.account, params["TemplateID"]))
    return {}
