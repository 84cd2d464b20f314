"""The Batch Sending pages' forms: a new task, and the filters of the task list and of
a task's per-recipient outcomes.

A new task goes through BatchSendEmail's rules: the form builds the API's parameters
(`params`), sending.batch.parse checks them, and each Refusal lands under the field of
the parameter it names (`add_refusal`). What the API cannot say (a recurring task's
end time or number of runs) is checked here and set on the TaskSpec afterwards.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from accounts.models import Account
from domains.models import DomainStatus, SenderAddress
from sending.acceptance.forms import MAX_ATTACHMENT_BYTES, MultipleFileField
from sending.batch import parse
from sending.batch.api_tasks import TYPE_CODES
from sending.batch.service import TaskSpec
from sending.models import DeliveryStatus, ListStatus, ReceiverList, Source, TaskStatus, TaskType
from sesconsole.refusals import Refusal
from templates_app.models import EmailTemplate
from templates_app.variables import find_variables

# Tencent's Unsubscribe codes: 0 no link, else the language of the link.
UNSUBSCRIBE_CHOICES = [
    ("0", "No unsubscribe link"),
    ("1", "Simplified Chinese"),
    ("2", "English"),
    ("3", "Traditional Chinese"),
    ("4", "Spanish"),
    ("5", "French"),
    ("6", "German"),
    ("7", "Japanese"),
    ("8", "Korean"),
    ("9", "Arabic"),
    ("10", "Thai"),
    ("11", "Indonesian"),
    ("12", "Vietnamese"),
]
AD_CHOICES = [(0, "No marker"), (1, "<AD> before the subject"), (2, "<AD> after the subject")]

# The field each BatchSendEmail parameter (Refusal.param) comes from. "CycleParam"
# alone (begin time or interval missing, or a bad interval) is placed by add_refusal.
PARAM_FIELDS = {
    "FromEmailAddress": "sender",
    "ReceiverId": "receiver_list",
    "Subject": "subject",
    "TaskType": "task_type",
    "Template": "template",
    "TemplateData": "template",
    "Attachments": "attachments",
    "ReplyToAddresses": "reply_to",
    "Unsubscribe": "unsubscribe",
    "ADLocation": "ad_location",
    "TimedParam": "begin_at",
    "TimedParam.BeginTime": "begin_at",
    "CycleParam.BeginTime": "begin_at",
    "CycleParam.IntervalTime": "interval_hours",
    "end_at": "end_at",
    "max_runs": "max_runs",
}
# API names in the parser's messages, in the words of the form.
_FORM_WORDS = {
    "TimedParam.BeginTime": "the begin time",
    "CycleParam.BeginTime": "the begin time",
    "CycleParam.IntervalTime": "the interval",
    "TimedParam": "the schedule",
    "CycleParam": "the schedule",
    "FromEmailAddress": "the sender",
    "ReceiverId": "the recipient list",
    "ReplyToAddresses": "Reply-To",
    "TemplateData": "a value for everyone",
    "end_at": "the end time",
}
_API_WORDS = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(_FORM_WORDS, key=len, reverse=True)) + r")\b"
)
# What a datetime-local input posts: 2030-01-31T09:30, seconds optional.
_LOCAL_INPUT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$")


def read_as_form(text: str) -> str:
    said = _API_WORDS.sub(lambda match: _FORM_WORDS[match[1]], text)
    return said[:1].upper() + said[1:]


def api_time(raw: str) -> str:
    """A datetime-local value as the API's "YYYY-mm-dd HH:MM:SS"; anything else as typed
    (the parser says what is wrong with it)."""
    found = _LOCAL_INPUT.match(raw.strip())
    if not found:
        return raw.strip()
    return f"{found[1]} {found[2]}{found[3] or ':00'}"


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _local_input(**attrs: str) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1", **attrs})


def ready_lists(account: Account) -> Any:
    """The account's lists a task can send to: uploaded, with a valid address."""
    return ReceiverList.objects.filter(
        account=account, status=ListStatus.COMPLETE, valid_count__gt=0
    ).order_by("name", "pk")


class TaskForm(forms.Form):
    """A new batch task. The variable fields are those of the chosen template (and
    subject) that the chosen list's data does not give: one value for everyone."""

    receiver_list = forms.ModelChoiceField(
        queryset=ReceiverList.objects.none(),
        label="Recipient list",
        error_messages={"required": "Choose a recipient list."},
    )
    sender = forms.ModelChoiceField(queryset=SenderAddress.objects.none(), empty_label=None)
    template = forms.ModelChoiceField(queryset=EmailTemplate.objects.none(), empty_label=None)
    subject = forms.CharField(
        max_length=998, help_text="Its {{variables}} are filled for each recipient too."
    )
    task_type = forms.ChoiceField(
        label="Type",
        choices=TaskType.choices,
        initial=TaskType.IMMEDIATE,
        widget=forms.RadioSelect,
    )
    begin_at = forms.CharField(
        label="Begin time",
        required=False,
        widget=_local_input(),
        help_text="The first run, in your account's time zone.",
    )
    interval_hours = forms.IntegerField(
        label="Every (hours)",
        required=False,
        widget=forms.NumberInput(attrs={"min": "1", "max": str(parse.MAX_INTERVAL_HOURS)}),
        help_text=f"Hours between runs, 1 to {parse.MAX_INTERVAL_HOURS}.",
    )
    end_at = forms.CharField(
        label="End time",
        required=False,
        widget=_local_input(),
        help_text="Optional: no run starts after it.",
    )
    max_runs = forms.IntegerField(
        label="Number of runs",
        required=False,
        min_value=1,
        help_text="Optional: the task is done after this many runs.",
    )
    ad_location = forms.TypedChoiceField(
        label="Ad marker", choices=AD_CHOICES, coerce=int, initial=0
    )
    unsubscribe = forms.ChoiceField(
        label="Unsubscribe link", choices=UNSUBSCRIBE_CHOICES, initial="0"
    )
    reply_to = forms.CharField(label="Reply-To", required=False, max_length=254)
    attachments = MultipleFileField(required=False, help_text="Up to 10 files, 4 MB in all.")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.senders = SenderAddress.objects.filter(
            account=account, domain__status=DomainStatus.VERIFIED
        ).order_by("email")
        self.templates = EmailTemplate.objects.filter(
            account=account, approved__isnull=False
        ).select_related("approved")
        self.lists = ready_lists(account)
        _choices(self, "sender").queryset = self.senders
        template = _choices(self, "template")
        template.queryset = self.templates
        template.label_from_instance = lambda obj: f"{obj.approved.name} (ID {obj.pk})"  # type: ignore[method-assign]
        # Any list of the account is taken, so that one not ready (any more) meets the
        # API's own refusal; only the ready ones are offered.
        receiver_list = _choices(self, "receiver_list")
        receiver_list.queryset = ReceiverList.objects.filter(account=account)
        receiver_list.choices = [
            ("", "Choose a list"),
            *((r.pk, f"{r.name} ({r.valid_count} addresses)") for r in self.lists),
        ]
        self.chosen_template = self._chosen_template()
        self.chosen_list = self._chosen_list()
        if not self.is_bound:
            initial = {"template": getattr(self.chosen_template, "pk", None)}
            self.initial = {**initial, **self.initial}
        self.columns: list[str] = list(getattr(self.chosen_list, "variables", None) or [])
        self.variables = self._variables()
        for name in self.constant_variables:
            self.fields[f"var_{name}"] = forms.CharField(
                label=f"{{{{{name}}}}}",
                max_length=2000,
                required=False,
                help_text="The same for every recipient.",
            )

    def _raw(self, name: str) -> Any:
        return self.data.get(name) if self.is_bound else self.initial.get(name)

    def _chosen_template(self) -> EmailTemplate | None:
        pk = self._raw("template")
        chosen = self.templates.filter(pk=pk).first() if pk and str(pk).isdigit() else None
        return chosen or self.templates.first()

    def _chosen_list(self) -> ReceiverList | None:
        pk = self._raw("receiver_list")
        return self.lists.filter(pk=pk).first() if pk and str(pk).isdigit() else None

    def _variables(self) -> list[str]:
        """The variables to fill: the chosen template's, then the subject's."""
        revision = getattr(self.chosen_template, "approved", None)
        subject = str(self._raw("subject") or "")
        names = list(revision.variables) if revision else []
        return names + [n for n in find_variables(subject) if n not in names]

    @property
    def constant_variables(self) -> list[str]:
        return [name for name in self.variables if name not in self.columns]

    @property
    def unused_columns(self) -> list[str]:
        """List columns the template does not use: the API refuses such a pairing."""
        return [c for c in self.columns if c not in self.variables]

    @property
    def variable_fields(self) -> list[forms.BoundField]:
        return [self[f"var_{name}"] for name in self.constant_variables]

    def clean_attachments(self) -> list[UploadedFile[bytes]]:
        files = self.cleaned_data.get("attachments") or []
        if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
            raise ValidationError("Attachments may total at most 4 MB.")
        return files

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        if "\r" in subject or "\n" in subject:
            raise ValidationError("A subject is one line.")
        return subject

    def template_data(self) -> dict[str, str]:
        data = self.cleaned_data
        values = {name: data.get(f"var_{name}") or "" for name in self.constant_variables}
        return {name: value for name, value in values.items() if value}

    # --- the API's parameters and the spec ------------------------------------------

    def params(self) -> dict[str, Any]:
        """The task as BatchSendEmail parameters: one set of rules for both."""
        data = self.cleaned_data
        sender: SenderAddress = data["sender"]
        template: dict[str, Any] = {"TemplateID": data["template"].pk}
        if self.template_data():
            template["TemplateData"] = json.dumps(self.template_data())
        task_type = TaskType(data["task_type"])
        params: dict[str, Any] = {
            "FromEmailAddress": f"{sender.sender_name} <{sender.email}>"
            if sender.sender_name
            else sender.email,
            "ReceiverId": data["receiver_list"].pk,
            "Subject": data["subject"],
            "TaskType": TYPE_CODES[task_type],
            "Template": template,
            "ADLocation": data["ad_location"],
            "Unsubscribe": data["unsubscribe"],
        }
        if data["reply_to"].strip():
            params["ReplyToAddresses"] = data["reply_to"].strip()
        begin = api_time(data["begin_at"] or "")
        if task_type == TaskType.TIMED:
            params["TimedParam"] = {"BeginTime": begin} if begin else {}
        elif task_type == TaskType.CYCLIC:
            cycle: dict[str, Any] = {}
            if begin:
                cycle["BeginTime"] = begin
            if data["interval_hours"] is not None:
                cycle["IntervalTime"] = data["interval_hours"]
            params["CycleParam"] = cycle
        files = data.get("attachments") or []
        if files:
            params["Attachments"] = [
                {"FileName": f.name, "Content": base64.b64encode(f.read()).decode()} for f in files
            ]
        return params

    def spec(self) -> TaskSpec:
        """The checked task; a Refusal names the parameter (or field) it concerns."""
        spec = parse.parse_batch(self.account, self.params())
        spec.source = Source.CONSOLE
        if spec.task_type == TaskType.CYCLIC:
            spec.end_at = self._end_at(spec.begin_at)
            spec.max_runs = self.cleaned_data["max_runs"]
        return spec

    def _end_at(self, begin_at: datetime | None) -> datetime | None:
        raw = api_time(self.cleaned_data["end_at"] or "")
        if not raw:
            return None
        end_at = parse.parse_time(self.account, raw, "end_at")
        if begin_at is not None and end_at <= begin_at:
            raise Refusal(
                "InvalidParameterValue", "The end time must be after the begin time.", "end_at"
            )
        return end_at

    def add_refusal(self, error: Refusal) -> None:
        """The refusal under the field of its parameter, in the form's words; one of no
        parameter goes above the form."""
        param = error.param or ""
        field = PARAM_FIELDS.get(param)
        if param == "CycleParam":
            # Missing begin time or interval, or an interval out of range.
            field = (
                "begin_at" if not (self.cleaned_data.get("begin_at") or "") else "interval_hours"
            )
        message = read_as_form(error.message)
        if field is None or field not in self.fields:
            self.add_error(None, message)
        else:
            self.add_error(field, message)


def variables_context(form: TaskForm) -> dict[str, Any]:
    """What the variables panel shows: where each variable comes from, and whether the
    chosen list's columns and the template match."""
    return {
        "form": form,
        "columns": form.columns,
        "from_list": [name for name in form.variables if name in form.columns],
        "unused": form.unused_columns,
    }


# --- filters ---------------------------------------------------------------------------

UNFINISHED = "unfinished"


class TaskFilter(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), (UNFINISHED, "Not finished"), *TaskStatus.choices],
    )


class OutcomeFilter(forms.Form):
    """A task's outcomes: by status, by part of the address; `after`/`before` are the
    keyset of the page (the last or first Delivery pk of the page next to it)."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *DeliveryStatus.choices]
    )
    q = forms.CharField(required=False, max_length=254, label="Recipient")
    after = forms.IntegerField(required=False, min_value=0)
    before = forms.IntegerField(required=False, min_value=1)
