import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation

from .models import ApiKey, Invitation, User


class ApiKeyForm(forms.Form):
    description = forms.CharField(
        max_length=100,
        required=False,
        help_text="What this key is for, e.g. the application that uses it.",
    )

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Create key"))

    def clean(self):
        if self.account and self.account.api_keys.count() >= ApiKey.MAX_PER_ACCOUNT:
            raise forms.ValidationError(
                f"An account can hold at most {ApiKey.MAX_PER_ACCOUNT} API keys. "
                "Delete one you no longer use first."
            )
        return super().clean()


class InviteForm(forms.Form):
    email = forms.EmailField(help_text="We send this person a link to join your account.")

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("invite", "Send invitation"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and getattr(user, "membership", None):
            if user.membership.account_id == self.account.pk:
                raise forms.ValidationError("This person is already an operator of this account.")
            raise forms.ValidationError("This person already belongs to another account.")
        if user is not None and (user.is_reviewer or user.is_staff):
            raise forms.ValidationError(
                "Platform staff (reviewers, support) cannot operate an account."
            )
        if Invitation.objects.open().filter(account=self.account, email=email).exists():
            raise forms.ValidationError("An invitation to this address is already open.")
        return email


class AcceptInvitationForm(forms.Form):
    """Sets the password of a person who has no login yet."""

    first_name = forms.CharField(max_length=150, required=False, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email=None, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()
        self.helper = FormHelper()
        self.helper.add_input(Submit("accept", "Join the account"))

    def clean(self):
        cleaned = super().clean() or self.cleaned_data  # the same dict: Form.clean returns it
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class DeliverySettingsForm(forms.ModelForm):
    class Meta:
        from .models import Account

        model = Account
        fields = ["tls_required", "time_zone"]
        labels = {"tls_required": "Only deliver over TLS", "time_zone": "Time zone"}
        help_texts = {
            "tls_required": (
                "Send mail only when the recipient's server accepts an encrypted (TLS 1.2+) "
                "connection. Mail to a server without TLS is retried, then bounced after "
                "72 hours with that reason. Most large providers support TLS."
            ),
            "time_zone": (
                "Where your day starts: the daily quota and the warm-up caps start again at "
                "midnight here, and batch tasks paused for the day go on then."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = f"The service's ({settings.TIME_ZONE})"
        zones = sorted(zoneinfo.available_timezones())
        self.fields["time_zone"] = forms.ChoiceField(
            choices=[("", default), *((z, z) for z in zones)],
            required=False,
            label="Time zone",
            help_text=self.Meta.help_texts["time_zone"],
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))
