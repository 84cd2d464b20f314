"""The content of a SendEmail: a template filled from TemplateData, or Simple
(custom HTML/text, for accounts allowed to send it), and the subject it fills.
"""

from dataclasses import dataclass
from typing import Any

from accounts.models import Account
from sending.acceptance.attachments import decode_base64
from sending.acceptance.headers import has_control
from sesconsole.refusals import Refusal
from templates_app.models import EmailTemplate, TemplateRevision
from templates_app.variables import (
    BadTemplateData,
    MissingVariables,
    TemplateDataError,
    find_variables,
    parse_template_data,
    render,
)

MAX_SUBJECT = 998
ONLY_TEMPLATES = "You can only send emails with a template."


def check_subject(subject: object, filled: bool = False) -> str:
    subject = subject if isinstance(subject, str) else ""
    if has_control(subject):
        raise Refusal(
            "InvalidParameterValue",
            "Subject must not contain line breaks or control characters.",
            "Subject",
        )
    if not subject.strip():
        raise Refusal(
            "InvalidParameterValue.SubjectLengthError", "The subject is empty.", "Subject"
        )
    if len(subject) > MAX_SUBJECT:
        raise Refusal(
            "InvalidParameterValue.SubjectLengthError",
            f"The subject{' filled from TemplateData' if filled else ''} has {len(subject)} "
            f"characters; it must have 1 to {MAX_SUBJECT}.",
            "Subject",
        )
    return subject


@dataclass
class Content:
    subject: str
    revision: TemplateRevision | None = None
    data: dict[str, Any] | None = None
    html: str = ""  # Simple only: a template is rendered when the mail is built
    text: str = ""
    size: int = 0


def approved_revision(account: Account, template_id: object) -> TemplateRevision:
    """The approved revision of the account's template `template_id`, or the refusal."""
    found = None
    if isinstance(template_id, int) and not isinstance(template_id, bool):
        found = (
            EmailTemplate.objects.filter(account=account, pk=template_id)
            .select_related("approved")
            .first()
        )
    if found is None:
        raise Refusal(
            "FailedOperation.InvalidTemplateID",
            f"There is no template {template_id} of yours.",
            "Template",
        )
    if found.approved is None:
        raise Refusal(
            "OperationDenied.TemplateStatusError",
            f"Template {template_id} has no approved version yet.",
            "Template",
        )
    return found.approved


def template_content(account: Account, template: dict[str, Any], subject: str) -> Content:
    """The content of `template` ({"TemplateID": int, "TemplateData": JSON string}):
    approved, its data complete, the subject filled from it."""
    revision = approved_revision(account, template.get("TemplateID"))
    try:
        data = parse_template_data(template.get("TemplateData"))
    except BadTemplateData as error:
        raise Refusal("FailedOperation.WrongContentJson", error.message, "TemplateData") from error
    body = find_variables(revision.html, revision.text)
    missing = [n for n in find_variables(revision.html, revision.text, subject) if n not in data]
    if missing:
        # Variables only the Subject uses are the Subject's to fix (a typo there).
        param = "TemplateData" if any(n in body for n in missing) else "Subject"
        raise Refusal(
            "InvalidParameterValue.TemplateDataError", str(MissingVariables(missing)), param
        )
    for name in find_variables(subject):
        if has_control(str(data[name])):
            raise Refusal(
                "InvalidParameterValue.TemplateDataError",
                f"The value of {name} fills the Subject: it must not contain line breaks or "
                "control characters.",
                f"TemplateData.{name}",
            )
    try:
        html, text = render(revision.html, revision.text, data)
        filled = render("", subject, data)[1]
    except TemplateDataError as error:
        raise Refusal("FailedOperation.WrongContentJson", str(error), "TemplateData") from error
    return Content(
        subject=check_subject(filled, filled=True),
        revision=revision,
        data=data,
        size=len(html.encode()) + len(text.encode()),
    )


def simple_part(raw: object, name: str) -> str:
    if raw is None:
        return ""
    param, code = f"Simple.{name}", "InvalidParameterValue.EmailContentIsWrong"
    content = decode_base64(raw)
    if content is None:
        raise Refusal(code, f"{param} is not valid base64.", param)
    try:
        part = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(code, f"{param} is not UTF-8 text.", param) from error
    if "\x00" in part:
        raise Refusal(code, f"{param} contains NUL characters.", param)
    return part


def check_custom_allowed(account: Account) -> None:
    """Custom content (Simple, a raw SMTP body) only for accounts support staff allowed."""
    if not account.allow_custom_content:
        raise Refusal("FailedOperation.WithOutPermission", ONLY_TEMPLATES)


def simple_content(subject: str, html: str, text: str, missing: str) -> Content:
    """Custom content; `missing` is the refusal when it has neither HTML nor text."""
    if not html.strip() and not text.strip():
        raise Refusal("FailedOperation.MissingEmailContent", missing)
    return Content(
        subject=subject, html=html, text=text, size=len(html.encode()) + len(text.encode())
    )


def parse_content(account: Account, params: dict[str, Any], subject: str) -> Content:
    template, simple = params.get("Template"), params.get("Simple")
    if simple is not None:
        check_custom_allowed(account)
    if template is not None and simple is not None:
        raise Refusal("InvalidParameterValue", "Give either Template or Simple, not both.")
    if template is not None:
        return template_content(account, template, subject)
    if simple is None:
        raise Refusal(
            "FailedOperation.MissingEmailContent", "Give the content: Template (or Simple)."
        )
    html, text = simple_part(simple.get("Html"), "Html"), simple_part(simple.get("Text"), "Text")
    try:
        return simple_content(subject, html, text, "Simple has neither Html nor Text.")
    except Refusal as error:
        raise Refusal(error.code, error.message, "Simple") from error
