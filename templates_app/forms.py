from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import Category, ReviewDecision


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    category = forms.ChoiceField(
        choices=Category.choices,
        help_text="Marketing templates need at least 150 words; notification, transactional "
        "and test ones at least 50; trigger-based ones have no minimum.",
    )
    html = forms.CharField(
        label="HTML part",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        help_text="Variables are written {{name}}.",
    )
    text = forms.CharField(
        label="Text part",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save draft", css_class="btn-secondary"))
        self.helper.add_input(Submit("submit", "Save and submit for review"))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewDecision.Outcome.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject: the operator sees it beside the template.",
    )

    def clean(self):
        cleaned = super().clean() or self.cleaned_data  # the same dict: Form.clean returns it
        if (
            cleaned.get("outcome") == ReviewDecision.Outcome.REJECTED
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", "Say why the template is rejected.")
        return cleaned
