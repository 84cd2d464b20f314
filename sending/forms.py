from django import forms
from django.core.exceptions import ValidationError

from domains.models import SenderAddress
from templates_app.models import EmailTemplate

SUBJECT_ADVICE = 78
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def split_addresses(raw: str) -> list[str]:
    return [a.strip() for a in raw.replace(";", ",").replace("\n", ",").split(",") if a.strip()]


class SendForm(forms.Form):
    """The operator's send: a sender address, an approved template, its variables."""

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

    def __init__(self, *args, account=None, variables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = SenderAddress.objects.filter(
            account=account, domain__status="verified"
        )
        self.fields["template"].queryset = EmailTemplate.objects.filter(
            account=account, approved__isnull=False
        ).select_related("approved")
        self.fields["template"].label_from_instance = lambda t: f"{t.approved.name} (ID {t.pk})"
        self.variables = list(variables)
        for name in self.variables:
            self.fields[f"var_{name}"] = forms.CharField(label=f"{{{{{name}}}}}", max_length=2000)

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        # Refuse before anything is read into memory for base64.
        if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
            raise ValidationError("Attachments may total at most 4 MB.")
        return files

    def clean_to(self):
        return split_addresses(self.cleaned_data["to"])

    def clean_cc(self):
        return split_addresses(self.cleaned_data["cc"])

    def clean_bcc(self):
        return split_addresses(self.cleaned_data["bcc"])

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\r" in subject or "\n" in subject:
            raise ValidationError("A subject is one line.")
        return subject

    def template_data(self) -> dict:
        return {name: self.cleaned_data[f"var_{name}"] for name in self.variables}

    @property
    def long_subject(self) -> bool:
        return len(self.cleaned_data.get("subject") or "") > SUBJECT_ADVICE


# The Message Log's filter for bounces the recipient's server refused for policy or
# reputation (5.7.x): not the recipient's fault, so the operator should look.
POLICY = "policy"


class LogFilterForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    recipient = forms.CharField(required=False)
    status = forms.ChoiceField(required=False)
    message_id = forms.CharField(required=False, label="MessageId")

    def __init__(self, *args, **kwargs):
        from .models import DeliveryStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", "Any status"),
            *DeliveryStatus.choices,
            (POLICY, "Bounced: policy refusal"),
        ]
