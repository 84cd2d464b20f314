"""The Recipient Lists pages' forms (the Batch Tasks pages have theirs in forms_tasks).

A refusal of the list's rules (sending.batch.receivers, sending.batch.csvimport)
lands under the field of the parameter it names (Refusal.param), else above the form.
"""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from sending.batch import csvimport
from sending.models import AddressStatus
from sesconsole.refusals import Refusal

EXAMPLE_HEADER = "email,name,code"


class RefusalForm(forms.Form):
    # The field of each parameter a refusal may name.
    PARAM_FIELDS: dict[str, str] = {}

    def add_refusal(self, error: Refusal) -> None:
        self.add_error(self.PARAM_FIELDS.get(error.param or ""), error.message)


class ListForm(RefusalForm):
    PARAM_FIELDS = {"ReceiversName": "name", "Desc": "description"}

    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description", max_length=300, required=False, help_text="Optional."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Create list"))


class UploadForm(RefusalForm):
    PARAM_FIELDS = {csvimport.FILE_PARAM: "file"}

    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
        help_text=(
            "UTF-8 (with or without BOM), UTF-16 or GB18030, any size. The first row names the "
            f"columns, for example {EXAMPLE_HEADER}: the email column holds the addresses, "
            "the others the template's variables. A file of addresses alone needs no header."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AddressFilter(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=254)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All"), *AddressStatus.choices]
    )
