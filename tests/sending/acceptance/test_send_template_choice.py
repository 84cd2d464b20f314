"""The Send page's template choice: the preselected template's variables at once,
a small endpoint serving another template's variable fields (tenant-checked), and
a choice without JavaScript that keeps everything typed."""

import pytest
from django.urls import reverse

from sending.models import Message
from tests.templates_app.helpers import words
from tests.tenancy import assert_isolated

SHIPPED_HTML = (
    f"<p>Hello {{{{name}}}}, parcel {{{{tracking}}}} is on its way.</p><p>{words(60)}</p>"
)


@pytest.fixture
def shipped(account, approved_template, make_template):
    """A second approved template, created last: the select lists it first."""
    return make_template(account, name="Shipped", html=SHIPPED_HTML, text="")


def fields_url(template):
    return reverse("sending:send_variables", args=[template.pk])


@pytest.mark.django_db
def test_the_preselected_template_shows_its_variables(operator_client, verified_sender, shipped):
    page = operator_client.get(reverse("sending:send"))
    body = page.content.decode()
    assert str(page.context["form"]["template"].value()) == str(shipped.pk)
    assert 'name="var_tracking"' in body and 'name="var_name"' in body
    assert "Choose a template to fill in its variables" not in body


@pytest.mark.django_db
def test_variable_fields_of_a_template(operator_client, verified_sender, approved_template):
    response = operator_client.get(fields_url(approved_template))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="var_name"' in body and 'name="var_code"' in body
    assert "<html" not in body  # a fragment for the page, not a page


@pytest.mark.django_db
def test_variable_fields_of_another_account_are_404(
    client, approved_template, make_account, make_operator, make_template
):
    other = make_account("other")
    client.force_login(make_operator(other, "mallory@other.example"))
    pending = make_template(other, name="Pending", approve=False)
    assert_isolated(client, [("get", fields_url(approved_template))])
    assert client.get(fields_url(pending)).status_code == 404  # not approved: nothing to send


@pytest.mark.django_db
def test_choosing_without_javascript_keeps_everything(
    operator_client, account, verified_sender, make_sender, approved_template, shipped
):
    other_sender = make_sender(account, email="news@mail.acme.example", sender_name="News")
    url = reverse("sending:send")
    response = operator_client.post(
        url,
        {
            "sender": other_sender.pk,
            "template": approved_template.pk,
            "subject": "Your parcel",
            "to": "ana@example.com",
            "cc": "cc@example.com",
            "bcc": "",
            "var_name": "Ana",
            "var_tracking": "",
            "choose": "1",
        },
    )
    assert response.status_code == 200  # rendered with the POST data, not redirected
    form = response.context["form"]
    assert str(form["sender"].value()) == str(other_sender.pk)
    assert str(form["template"].value()) == str(approved_template.pk)
    assert form["subject"].value() == "Your parcel"
    assert form["to"].value() == "ana@example.com"
    assert form["cc"].value() == "cc@example.com"
    assert form["var_name"].value() == "Ana"  # kept: both templates use {{name}}
    assert form.variables == ["name", "code"]
    body = response.content.decode()
    assert "This field is required" not in body
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_sending_another_template_than_the_url_names_sends_it(
    operator_client, verified_sender, approved_template, shipped
):
    """The template posted decides, even when ?template= named another one."""
    url = f"{reverse('sending:send')}?template={shipped.pk}"
    response = operator_client.post(
        url,
        {
            "sender": verified_sender.pk,
            "template": approved_template.pk,
            "subject": "Your code",
            "to": "ana@example.com",
            "var_name": "Ana",
            "var_code": "1234",
            "send": "1",
        },
    )
    message = Message.objects.get()
    assert response["Location"] == reverse("sending:message", args=[message.pk])
    assert message.template_revision == approved_template.approved
    assert message.sender == verified_sender
