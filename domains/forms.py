from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import DkimOption


class DomainForm(forms.Form):
    name = forms.CharField(
        label="Domain",
        max_length=253,
        help_text="A subdomain used only for this service, such as mail.example.com.",
    )
    dkim_option = forms.TypedChoiceField(
        label="DKIM key",
        coerce=int,
        choices=DkimOption.choices,
        initial=DkimOption.RSA_2048,
        help_text="RSA 2048-bit suits almost everyone; some DNS providers only take 1024-bit "
        "keys in one record. Dual signing adds an Ed25519 key (RFC 8463).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Add domain"))


class SenderAddressForm(forms.Form):
    local_part = forms.CharField(label="Address", max_length=64, help_text="e.g. noreply")
    domain = forms.ModelChoiceField(queryset=None, empty_label=None)
    sender_name = forms.CharField(
        label="Sender name",
        max_length=80,
        required=False,
        help_text="The name recipients see, e.g. Acme Support.",
    )

    def __init__(self, *args, domains=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = domains
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Add sender address"))


class SmtpPasswordForm(forms.Form):
    password = forms.CharField(
        label="New SMTP password",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="10 to 20 characters with at least two different digits, two different "
        "lower-case and two different upper-case letters.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Set password"))
