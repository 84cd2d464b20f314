"""BatchSendEmail's parameters as a service.TaskSpec, each refusal a Refusal with
Tencent's code; the console's task form comes through here too.

Choices where the spec leaves room:
- The sender, subject, Template or Simple, attachments, ReplyToAddresses and
  Unsubscribe follow SendEmail's rules (sending.acceptance.parse); the subject's
  {{variables}} are filled per recipient, so they are checked like the body's.
- Variables: the template's (body and subject) must be given one to one by the
  list's per-address data together with Template.TemplateData (which fills what is
  the same for everyone): a variable nobody gives, or a list column the template
  does not use, is InvalidParameterValue.TemplateNotMatchData. A list without data
  needs TemplateData to give every variable (TemplateDataError, as SendEmail).
  TemplateData filling the subject must not bring line breaks into it (TemplateDataError).
  Simple content is sent as it is, so its subject's variables must come from the
  list's columns (TemplateNotMatchData, or TemplateDataError for a list without data).
- TimedParam.BeginTime and CycleParam.BeginTime are "YYYY-mm-dd HH:MM:SS" in the
  account's time zone (InvalidParameter.InvalidStartTimeFormat), not in the past
  (a minute's grace; InvalidParameterValue.BeginTimeBeforeNow); IntervalTime is
  1 to 8,760 hours; CycleParam.TermCycle = 1 makes the first run the last.
- ADLocation 1 or 2 puts "<AD>" before or after the subject, which must still keep to
  SendEmail's length (SubjectLengthError).
- Attachments are sent, although Tencent's spec says batch attachments are "not
  supported yet": the same rules and 4 MB as SendEmail.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account
from sending.acceptance.attachments import parse_attachments
from sending.acceptance.content import (
    approved_revision,
    check_custom_allowed,
    check_subject,
    simple_content,
    simple_part,
)
from sending.acceptance.headers import has_control
from sending.acceptance.parse import address, check_size, parse_from, parse_options
from sending.acceptance.service import check_account
from sending.batch import receivers
from sending.batch.service import TaskSpec, check_list_ready, marked_subject
from sending.models import ReceiverList, TaskType
from sesconsole.refusals import Refusal
from templates_app.models import TemplateRevision
from templates_app.variables import BadTemplateData, find_variables, parse_template_data

TASK_TYPES = {1: TaskType.IMMEDIATE, 2: TaskType.TIMED, 3: TaskType.CYCLIC}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
GRACE = timedelta(minutes=1)
MAX_INTERVAL_HOURS = 8760


def parse_time(account: Account, raw: object, param: str) -> datetime:
    try:
        naive = datetime.strptime(str(raw).strip(), TIME_FORMAT)
    except ValueError as error:
        raise Refusal(
            "InvalidParameter.InvalidStartTimeFormat",
            f"{param} must be like 2026-01-31 09:30:00 (your account's time zone).",
            param,
        ) from error
    moment = naive.replace(tzinfo=account.zone)
    if moment < timezone.now() - GRACE:
        raise Refusal("InvalidParameterValue.BeginTimeBeforeNow", f"{param} is in the past.", param)
    return moment


def match_variables(
    revision: TemplateRevision, subject: str, receiver_list: ReceiverList, data: dict[str, Any]
) -> None:
    needed = set(find_variables(revision.html, revision.text, subject))
    columns = set(receiver_list.variables or [])
    if columns:
        unused = sorted(columns - needed)
        missing = sorted(needed - columns - set(data))
        if unused or missing:
            parts = []
            if missing:
                parts.append(f"no column or TemplateData gives {', '.join(missing)}")
            if unused:
                parts.append(f"the template does not use the list's {', '.join(unused)}")
            raise Refusal(
                "InvalidParameterValue.TemplateNotMatchData",
                f"The template's variables and the list's data do not match: {'; '.join(parts)}.",
                "Template",
            )
        return
    missing = sorted(needed - set(data))
    if missing:
        raise Refusal(
            "InvalidParameterValue.TemplateDataError",
            f"Missing template variables: {', '.join(missing)} (the list has no data of its "
            "own, so TemplateData must give them).",
            "TemplateData",
        )


def check_subject_data(subject: str, data: dict[str, Any]) -> None:
    """TemplateData that fills the subject must not break it (as SendEmail)."""
    for name in find_variables(subject):
        if name in data and has_control(str(data[name])):
            raise Refusal(
                "InvalidParameterValue.TemplateDataError",
                f"The value of {name} fills the Subject: it must not contain line breaks or "
                "control characters.",
                f"TemplateData.{name}",
            )


def match_subject(subject: str, receiver_list: ReceiverList) -> None:
    """Simple content goes as it is, but its subject is filled per recipient, from the
    list's data alone: a variable no column gives would leave every mail unbuildable."""
    columns = set(receiver_list.variables or [])
    missing = sorted(set(find_variables(subject)) - columns)
    if not missing:
        return
    if columns:
        raise Refusal(
            "InvalidParameterValue.TemplateNotMatchData",
            f"No column of the list gives the subject's {', '.join(missing)}.",
            "Subject",
        )
    raise Refusal(
        "InvalidParameterValue.TemplateDataError",
        f"The subject uses {', '.join(missing)}, but the list has no data to fill it with.",
        "Subject",
    )


def _schedule(account: Account, task_type: TaskType, params: dict[str, Any]) -> dict[str, Any]:
    if task_type == TaskType.TIMED:
        timed = params.get("TimedParam") or {}
        if not isinstance(timed, dict) or not timed.get("BeginTime"):
            raise Refusal(
                "MissingParameter.TimedParamNecessary",
                "A timed task needs TimedParam.BeginTime.",
                "TimedParam",
            )
        return {"begin_at": parse_time(account, timed["BeginTime"], "TimedParam.BeginTime")}
    if task_type == TaskType.CYCLIC:
        cycle = params.get("CycleParam") or {}
        if (
            not isinstance(cycle, dict)
            or not cycle.get("BeginTime")
            or not cycle.get("IntervalTime")
        ):
            raise Refusal(
                "MissingParameter.CycleParamNecessary",
                "A recurring task needs CycleParam.BeginTime and CycleParam.IntervalTime.",
                "CycleParam",
            )
        interval = cycle["IntervalTime"]
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int)
            or not 1 <= interval <= MAX_INTERVAL_HOURS
        ):
            raise Refusal(
                "InvalidParameterValue",
                f"CycleParam.IntervalTime is hours, 1 to {MAX_INTERVAL_HOURS}.",
                "CycleParam",
            )
        return {
            "begin_at": parse_time(account, cycle["BeginTime"], "CycleParam.BeginTime"),
            "interval_hours": interval,
            "term_cycle": cycle.get("TermCycle") == 1,
        }
    return {}


def parse_batch(account: Account, params: dict[str, Any]) -> TaskSpec:
    # As SendEmail: a suspended account is told at once (a task made now could not send).
    check_account(account)
    sender, from_name = parse_from(account, params.get("FromEmailAddress"))
    receiver_id = params.get("ReceiverId")
    if receiver_id is None:
        raise Refusal(
            "MissingParameter.SendParamNecessary",
            "Give the sender address, the recipient list and the template.",
            "ReceiverId",
        )
    receiver_list = receivers.get(account, receiver_id)
    check_list_ready(receiver_list)
    task_type = TASK_TYPES.get(params.get("TaskType"))  # type: ignore[arg-type]
    if task_type is None:
        raise Refusal(
            "InvalidParameterValue", "TaskType is 1 (now), 2 (timed) or 3 (recurring).", "TaskType"
        )
    subject = check_subject(params.get("Subject"))
    ad_location = params.get("ADLocation", 0) or 0
    if isinstance(ad_location, bool) or ad_location not in (0, 1, 2):
        raise Refusal(
            "InvalidParameterValue",
            "ADLocation is 0 (no marker), 1 (before the subject) or 2 (after it).",
            "ADLocation",
        )
    check_subject(marked_subject(subject, ad_location))  # the marker is in the subject
    template, simple = params.get("Template"), params.get("Simple")
    if template is not None and simple is not None:
        raise Refusal("InvalidParameterValue", "Give either Template or Simple, not both.")
    revision = None
    data: dict[str, Any] = {}
    html = text = ""
    size = 0
    if template is not None:
        revision = approved_revision(account, template.get("TemplateID"))
        raw = template.get("TemplateData")
        if raw not in (None, ""):
            try:
                data = parse_template_data(raw)
            except BadTemplateData as error:
                raise Refusal(
                    "FailedOperation.WrongContentJson", error.message, "TemplateData"
                ) from error
        match_variables(revision, subject, receiver_list, data)
        check_subject_data(subject, data)
        size = len(revision.html.encode()) + len(revision.text.encode())
    elif simple is not None:
        check_custom_allowed(account)
        html = simple_part(simple.get("Html"), "Html")
        text = simple_part(simple.get("Text"), "Text")
        size = simple_content(subject, html, text, "Simple has neither Html nor Text.").size
        match_subject(subject, receiver_list)
    else:
        raise Refusal(
            "MissingParameter.SendParamNecessary",
            "Give the sender address, the recipient list and the template.",
            "Template",
        )
    attachments = parse_attachments(params.get("Attachments"))
    reply_to = params.get("ReplyToAddresses")
    reply_to = address(reply_to, "ReplyToAddresses") if reply_to and reply_to.strip() else ""
    unsubscribe, _ = parse_options({"Unsubscribe": params.get("Unsubscribe")})
    return TaskSpec(
        sender=sender,
        receiver_list=receiver_list,
        subject=subject,
        task_type=task_type,
        from_name=from_name,
        template_revision=revision,
        template_data=data,
        html=html,
        text=text,
        attachments=attachments,
        reply_to=reply_to,
        unsubscribe=unsubscribe,
        ad_location=ad_location,
        size=check_size(size, attachments),
        **_schedule(account, task_type, params),
    )
