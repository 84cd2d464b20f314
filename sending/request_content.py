"""The content of a SendEmail: a template filled from TemplateData, or Simple
(custom HTML/text, for accounts allowed to send it), and the subject it fills.
"""

from dataclasses import dataclass

from sesconsole.api.errors import ApiError
from templates_app.models import EmailTemplate
from templates_app.variables import (
    BadTemplateData,
    MissingVariables,
    TemplateDataError,
    find_variables,
    parse_template_data,
    render,
)

from .attachment_rules import decode_base64
from .header_rules import has_control

MAX_SUBJECT = 998
ONLY_TEMPLATES = "You can only send emails with a template."


def check_subject(subject, filled: bool = False) -> str:
    subject = subject if isinstance(subject, str) else ""
    if has_control(subject):
        raise ApiError(
            "InvalidParameterValue",
            "Subject must not contain line breaks or control characters.",
            "Subject",
        )
    if not subject.strip():
        raise ApiError(
            "InvalidParameterValue.SubjectLengthError", "The subject is empty.", "Subject"
        )
    if len(subject) > MAX_SUBJECT:
        raise ApiError(
            "InvalidParameterValue.SubjectLengthError",
            f"The subject{' filled from TemplateData' if filled else ''} has {len(subject)} "
            f"characters; it must have 1 to {MAX_SUBJECT}.",
            "Subject",
        )
    return subject


@dataclass
class Content:
    subject: str
    revision: object = None
    data: dict | None = None
    html: str = ""  # Simple only: a template is rendered when the mail is built
    text: str = ""
    size: int = 0


def template_content(account, template: dict, subject: str) -> Content:
    """The content of `template` ({"TemplateID": int, "TemplateData": JSON string}):
    approved, its data complete, the subject filled from it."""
    template_id = template.get("TemplateID")
    found = None
    if isinstance(template_id, int) and not isinstance(template_id, bool):
        found = (
            EmailTemplate.objects.filter(account=account, pk=template_id)
            .select_related("approved")
            .first()
        )
    if found is None:
        raise ApiError(
            "FailedOperation.InvalidTemplateID",
            f"There is no template {template_id} of yours.",
            "Template",
        )
    revision = found.approved
    if revision is None:
        raise ApiError(
            "OperationDenied.TemplateStatusError",
            f"Template {template_id} has no approved version yet.",
            "Template",
        )
    try:
        data = parse_template_data(template.get("TemplateData"))
    except BadTemplateData as error:
        raise ApiError("FailedOperation.WrongContentJson", error.message, "TemplateData") from error
    body = find_variables(revision.html, revision.text)
    missing = [n for n in find_variables(revision.html, revision.text, subject) if n not in data]
    if missing:
        # Variables only the Subject uses are the Subject's to fix (a typo there).
        param = "TemplateData" if any(n in body for n in missing) else "Subject"
        raise ApiError(
            "InvalidParameterValue.TemplateDataError", str(MissingVariables(missing)), param
        )
    for name in find_variables(subject):
        if has_control(str(data[name])):
            raise ApiError(
                "InvalidParameterValue.TemplateDataError",
                f"The value of {name} fills the Subject: it must not contain line breaks or "
                "control characters.",
                f"TemplateData.{name}",
            )
    try:
        html, text = render(revision.html, revision.text, data)
        filled = render("", subject, data)[1]
    except TemplateDataError as error:
        raise ApiError("FailedOperation.WrongContentJson", str(error), "TemplateData") from error
    return Content(
        subject=check_subject(filled, filled=True),
        revision=revision,
        data=data,
        size=len(html.encode()) + len(text.encode()),
    )


def _simple_part(raw, name: str) -> str:
    if raw is None:
        return ""
    param, code = f"Simple.{name}", "InvalidParameterValue.EmailContentIsWrong"
    content = decode_base64(raw)
    if content is None:
        raise ApiError(code, f"{param} is not valid base64.", param)
    try:
        part = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(code, f"{param} is not UTF-8 text.", param) from error
    if "\x00" in part:
        raise ApiError(code, f"{param} contains NUL characters.", param)
    return part


def check_custom_allowed(account) -> None:
    """Custom content (Simple, a raw SMTP body) only for accounts support staff allowed."""
    if not account.allow_custom_content:
        raise ApiError("FailedOperation.WithOutPermission", ONLY_TEMPLATES)


def simple_content(subject: str, html: str, text: str, missing: str) -> Content:
    """Custom content; `missing` is the refusal when it has neither HTML nor text."""
    if not html.strip() and not text.strip():
        raise ApiError("FailedOperation.MissingEmailContent", missing)
    return Content(
        subject=subject, html=html, text=text, size=len(html.encode()) + len(text.encode())
    )


def parse_content(account, params, subject: str) -> Content:
    template, simple = params.get("Template"), params.get("Simple")
    if simple is not None:
        check_custom_allowed(account)
    if template is None and simple is None:
        raise ApiError(
            "FailedOperation.MissingEmailContent", "Give the content: Template (or Simple)."
        )
    if template is not None and simple is not None:
        raise ApiError("InvalidParameterValue", "Give either Template or Simple, not both.")
    if template is not None:
        return template_content(account, template, subject)
    html, text = _simple_part(simple.get("Html"), "Html"), _simple_part(simple.get("Text"), "Text")
    try:
        return simple_content(subject, html, text, "Simple has neither Html nor Text.")
    except ApiError as error:
        raise ApiError(error.code, error.message, "Simple") from error
