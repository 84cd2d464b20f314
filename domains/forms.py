from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import Case, When

from .models import DkimOption, DomainStatus


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


class DomainSelect(forms.Select):
    """Every domain of the account, the unverified ones shown but not selectable."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        domain = getattr(value, "instance", None)
        if domain is not None and not domain.is_verified:
            option["attrs"]["disabled"] = True
        return option


class DomainChoiceField(forms.ModelChoiceField):
    widget = DomainSelect

    def label_from_instance(self, obj):
        return obj.name if obj.is_verified else f"{obj.name} (verify the domain first)"


class SenderAddressForm(forms.Form):
    local_part = forms.CharField(label="Address", max_length=64, help_text="e.g. noreply")
    domain = DomainChoiceField(queryset=None, empty_label=None)
    sender_name = forms.CharField(
        label="Sender name",
        max_length=80,
        required=False,
        help_text="The name recipients see, e.g. Acme Support.",
    )

    def __init__(self, *args, domains=None, **kwargs):
        """`domains`: all of the account's; verified ones come first, so that one is
        preselected."""
        super().__init__(*args, **kwargs)
        verified_first = Case(When(status=DomainStatus.VERIFIED, then=0), default=1)
        domain = cast(forms.ModelChoiceField, self.fields["domain"])  # a plain Field in .fields
        domain.queryset = domains.order_by(verified_first, "name")
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Add sender address"))

    def clean_domain(self):
        # A disabled option can still be posted (an old page, a hand-made request).
        domain = self.cleaned_data["domain"]
        if not domain.is_verified:
            raise forms.ValidationError(
                f"{domain.name} is not verified yet: verify the domain first."
            )
        return domain


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
