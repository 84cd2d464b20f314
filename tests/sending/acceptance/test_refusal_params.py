"""Each SendEmail refusal of one parameter names it (Refusal.param), so the
console can show it under its field; the API's messages stay as they are."""

import json

import pytest

from sending.acceptance.parse import parse_send_email
from sesconsole.refusals import Refusal
from tests.sending.conftest import b64
from tests.sending.sendhelp import change


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "value", "param", "message"),
    [
        (
            "Destination",
            ["not an address"],
            "Destination",
            "Destination: 'not an address' is not a single valid email address.",
        ),
        ("Cc", ["a"], "Cc", "Cc: 'a' is not a valid email address."),
        ("Bcc", ["ana@example.com"], "Bcc", None),
        ("FromEmailAddress", "nobody@mail.acme.example", "FromEmailAddress", None),
        ("FromEmailAddress", "Name<a@b.example>", "FromEmailAddress", None),
        ("Subject", "", "Subject", "The subject is empty."),
        ("Subject", "Hi {{first}}", "Subject", "Missing template variables: first."),
        ("Template.TemplateID", 999999, "Template", None),
        ("Template.TemplateData", "[1]", "TemplateData", None),
        ("Template.TemplateData", json.dumps({"name": "Ana"}), "TemplateData", None),
        ("Attachments", [{"FileName": "a.exe", "Content": b64("x")}], "Attachments", None),
        ("Attachments", [{"FileName": "a.pdf", "Content": "%%"}], "Attachments", None),
        ("ReplyToAddresses", "not an address", "ReplyToAddresses", None),
    ],
)
def test_a_refusal_names_its_parameter(account, send_params, path, value, param, message):
    with pytest.raises(Refusal) as raised:
        parse_send_email(account, change(path, value)(send_params))
    assert raised.value.param == param
    if message is not None:
        assert raised.value.message == message


@pytest.mark.django_db
def test_a_subject_variable_with_a_line_break_names_that_variable(account, send_params):
    params = change("Subject", "Code {{code}}")(send_params)
    params = change("Template.TemplateData", json.dumps({"name": "A", "code": "1\n2"}))(params)
    with pytest.raises(Refusal) as raised:
        parse_send_email(account, params)
    assert raised.value.param == "TemplateData.code"


def test_param_is_optional():
    assert Refusal("InternalError").param is None
