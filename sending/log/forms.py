"""The Message Log's filters."""

from django import forms

from sending.models import DeliveryStatus

# The Message Log's filter for bounces the recipient's server refused for policy or
# reputation (5.7.x): not the recipient's fault, so the operator should look.
POLICY = "policy"


class LogFilterForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    recipient = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *DeliveryStatus.choices, (POLICY, "Bounced: policy refusal")],
    )
    message_id = forms.CharField(required=False, label="MessageId")
