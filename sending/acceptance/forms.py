"""The Send page's form, and how a refusal of the send lands under the field it concerns."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.boundfield import BoundField

from accounts.models import Account
from domains.models import DomainStatus, SenderAddress
from sesconsole.refusals import Refusal
from templates_app.models import EmailTemplate
from templates_app.variables import TemplateDataError

SUBJECT_ADVICE = 78
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024

# The field of the Send form each SendEmail parameter comes from (views._params).
PARAM_FIELDS = {
    "FromEmailAddress": "sender",
    "Destination": "to",
    "Cc": "cc",
    "Bcc": "bcc",
    "Subject": "subject",
    "Template": "template",
    "TemplateData": "template",
    "Attachments": "attachments",
}
# API parameter names a person filling in the form never sees, and what they see.
_FORM_WORDS = {"Destination": "To", "FromEmailAddress": "Sender"}
_API_WORDS = re.compile(r"\b(" + "|".join(_FORM_WORDS) + r")\b")


def read_as_form(text: str) -> str:
    return _API_WORDS.sub(lambda match: _FORM_WORDS[match[1]], text)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    """The form's ModelChoiceField `name` (Form.fields holds them as plain Fields)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def split_addresses(raw: str) -> list[str]:
    return [a.strip() for a in raw.replace(";", ",").replace("\n", ",").split(",") if a.strip()]


class SendForm(forms.Form):
    """The operator's send: a sender address, an approved template, its variables.

    The variable fields are those of the template chosen (posted, or initial), else
    of the first one, which the select shows preselected.
    """

    sender = forms.ModelChoiceField(queryset=SenderAddress.objects.none(), empty_label=None)
    template = forms.ModelChoiceField(queryset=EmailTemplate.objects.none(), empty_label=None)
    subject = forms.CharField(max_length=998)
    to = forms.CharField(
        label="To",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Up to 50 addresses, separated by commas or new lines.",
    )
    cc = forms.CharField(label="Cc", required=False, widget=forms.Textarea(attrs={"rows": 1}))
    bcc = forms.CharField(label="Bcc", required=False, widget=forms.Textarea(attrs={"rows": 1}))
    attachments = MultipleFileField(required=False, help_text="Up to 10 files, 4 MB in all.")

    def __init__(self, *args: Any, account: Account | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.senders = SenderAddress.objects.filter(
            account=account, domain__status=DomainStatus.VERIFIED
        )
        self.templates = EmailTemplate.objects.filter(
            account=account, approved__isnull=False
        ).select_related("approved")
        _choices(self, "sender").queryset = self.senders
        template = _choices(self, "template")
        template.queryset = self.templates
        # One field's labels: an attribute over ModelChoiceField's method.
        template.label_from_instance = lambda obj: f"{obj.approved.name} (ID {obj.pk})"  # type: ignore[method-assign]
        self.chosen_template = self._chosen_template()
        if self.chosen_template and not self.is_bound:
            self.initial = {**self.initial, "template": self.chosen_template.pk}
        revision = getattr(self.chosen_template, "approved", None)
        self.variables = list(revision.variables) if revision else []
        for name in self.variables:
            self.fields[f"var_{name}"] = forms.CharField(label=f"{{{{{name}}}}}", max_length=2000)

    def _chosen_template(self) -> EmailTemplate | None:
        templates = self.templates
        pk = self.data.get("template") if self.is_bound else self.initial.get("template")
        chosen = templates.filter(pk=pk).first() if pk and str(pk).isdigit() else None
        return chosen or templates.first()

    def clean_attachments(self) -> list[UploadedFile[bytes]]:
        files = self.cleaned_data.get("attachments") or []
        # Refuse before anything is read into memory for base64.
        if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
            raise ValidationError("Attachments may total at most 4 MB.")
        return files

    def clean_to(self) -> list[str]:
        return split_addresses(self.cleaned_data["to"])

    def clean_cc(self) -> list[str]:
        return split_addresses(self.cleaned_data["cc"])

    def clean_bcc(self) -> list[str]:
        return split_addresses(self.cleaned_data["bcc"])

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        if "\r" in subject or "\n" in subject:
            raise ValidationError("A subject is one line.")
        return subject

    def template_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"var_{name}"] for name in self.variables}

    @property
    def variable_fields(self) -> list[BoundField]:
        return [self[f"var_{name}"] for name in self.variables]

    def add_refusal(self, error: Refusal | TemplateDataError) -> None:
        """A refusal of the send, under the field whose parameter it concerns and
        worded with the form's labels; one of no parameter goes above the form."""
        param = getattr(error, "param", None) or ""
        message = read_as_form(getattr(error, "message", None) or str(error))
        field = PARAM_FIELDS.get(param)
        if param.startswith("TemplateData."):
            name = f"var_{param.partition('.')[2]}"
            field = name if name in self.fields else "template"
        if field is None:
            self.add_error(None, message)
            return
        label = str(self[field].label)
        said = read_as_form(param)
        if param and message.startswith(said):
            message = label + message[len(said) :]
        else:
            message = f"{label}: {message}"
        self.add_error(field, message)

    @property
    def long_subject(self) -> bool:
        return len(self.cleaned_data.get("subject") or "") > SUBJECT_ADVICE
