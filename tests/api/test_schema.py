"""Parameter validation against api.json and the un-flattening of GET query parameters."""

import json
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential

from sesconsole.api import schema
from sesconsole.refusals import Refusal

SEND_EMAIL: dict = {
    "FromEmailAddress": "Example <noreply@mail.example.com>",
    "Subject": "Hello",
    "Destination": ["a@example.com", "b@example.com"],
    "Template": {"TemplateID": 100091, "TemplateData": json.dumps({"code": "1234"})},
    "Attachments": [{"FileName": "a.txt", "Content": "aGVsbG8="}],
    "TriggerType": 1,
}


def error(action, params) -> Refusal:
    with pytest.raises(Refusal) as info:
        schema.validate(action, params)
    return info.value


def test_spec_declares_the_36_actions_and_passes_the_load_check():
    names = schema.action_names()
    assert len(names) == 36
    assert {"SendEmail", "ListEmailTemplates", "UpdateEmailSmtpPassWord"} <= names
    assert schema.api_version() == "2020-10-02"


def test_load_check_refuses_types_it_does_not_know():
    bad = schema.Spec(
        version="2020-10-02",
        inputs={"X": "XRequest"},
        objects={"XRequest": (schema.Field("Ratio", "float", "double", False),)},
    )
    with pytest.raises(ImproperlyConfigured, match="float"):
        schema._check(bad)


def test_load_check_refuses_unknown_object_references():
    bad = schema.Spec(
        version="2020-10-02",
        inputs={"X": "XRequest"},
        objects={"XRequest": (schema.Field("Thing", "object", "Missing", False),)},
    )
    with pytest.raises(ImproperlyConfigured, match="Missing"):
        schema._check(bad)


def test_valid_params_pass_unchanged():
    assert schema.validate("SendEmail", SEND_EMAIL) == SEND_EMAIL


def test_null_counts_as_absent():
    assert schema.validate("SendEmail", {**SEND_EMAIL, "Cc": None}) == SEND_EMAIL
    assert error("SendEmail", {**SEND_EMAIL, "Subject": None}).code == "MissingParameter"


@pytest.mark.parametrize(
    ("action", "params", "path"),
    [
        ("ListEmailTemplates", {"Offset": 0}, "Limit"),
        ("SendEmail", {**SEND_EMAIL, "Template": {"TemplateID": 1}}, "Template.TemplateData"),
        (
            "CreateReceiverDetailWithData",
            {"ReceiverId": 1, "Datas": [{"Email": "a@x", "TemplateData": "{}"}, {"Email": "b@x"}]},
            "Datas.1.TemplateData",
        ),
    ],
)
def test_missing_required(action, params, path):
    err = error(action, params)
    assert err.code == "MissingParameter"
    assert err.message == f"The parameter `{path}` is missing."


@pytest.mark.parametrize(
    ("action", "params", "path"),
    [
        ("ListEmailTemplates", {"Limit": 1, "Offset": 0, "Extra": 1}, "Extra"),
        ("ListEmailTemplates", {"limit": 1, "Limit": 1, "Offset": 0}, "limit"),
        (
            "SendEmail",
            {**SEND_EMAIL, "Template": {**SEND_EMAIL["Template"], "Id": 1}},
            "Template.Id",
        ),
        (
            "CreateReceiverDetailWithData",
            {"ReceiverId": 1, "Datas": [{"Email": "a@x", "TemplateData": "{}", "Name": "A"}]},
            "Datas.0.Name",
        ),
        ("ListEmailAddress", {"Limit": 10}, "Limit"),
    ],
)
def test_unknown_parameter(action, params, path):
    err = error(action, params)
    assert err.code == "UnknownParameter"
    assert f"`{path}`" in err.message


@pytest.mark.parametrize(
    ("action", "params", "path"),
    [
        ("ListEmailTemplates", {"Limit": "10", "Offset": 0}, "Limit"),
        ("ListEmailTemplates", {"Limit": True, "Offset": 0}, "Limit"),
        ("ListEmailTemplates", {"Limit": 10.0, "Offset": 0}, "Limit"),
        ("ListEmailTemplates", {"Limit": [10], "Offset": 0}, "Limit"),
        ("SendEmail", {**SEND_EMAIL, "Subject": True}, "Subject"),
        ("SendEmail", {**SEND_EMAIL, "Subject": ["Hello"]}, "Subject"),
        ("SendEmail", {**SEND_EMAIL, "Subject": 1.5}, "Subject"),
        ("SendEmail", {**SEND_EMAIL, "Destination": "a@example.com"}, "Destination"),
        ("SendEmail", {**SEND_EMAIL, "Destination": ["a@example.com", None]}, "Destination.1"),
        ("SendEmail", {**SEND_EMAIL, "Destination": ["a@example.com", {}]}, "Destination.1"),
        ("SendEmail", {**SEND_EMAIL, "Template": [SEND_EMAIL["Template"]]}, "Template"),
        (
            "SendEmail",
            {**SEND_EMAIL, "Template": {"TemplateID": "100091", "TemplateData": "{}"}},
            "Template.TemplateID",
        ),
        ("SendEmail", {**SEND_EMAIL, "Attachments": [{"FileName": 3.0}]}, "Attachments.0.FileName"),
        ("SendEmail", {**SEND_EMAIL, "Attachments": ["a.txt"]}, "Attachments.0"),
        ("UpdateEmailIdentity", {"EmailIdentity": "example.com", "NewAPI": 1}, "NewAPI"),
        ("UpdateEmailIdentity", {"EmailIdentity": "example.com", "NewAPI": "true"}, "NewAPI"),
    ],
)
def test_wrong_type(action, params, path):
    err = error(action, params)
    assert err.code == "InvalidParameter"
    assert f"`{path}`" in err.message


def test_int_is_accepted_where_the_spec_says_string():
    # ListAddressUnsubscribeConfig.Limit is typed string in api.json; clients send ints.
    assert schema.validate("ListAddressUnsubscribeConfig", {"Offset": 0, "Limit": 10}) == {
        "Offset": 0,
        "Limit": "10",
    }


def test_bool_is_accepted_where_the_spec_says_bool():
    params = {"EmailIdentity": "example.com", "NewAPI": False}
    assert schema.validate("UpdateEmailIdentity", params) == params


@pytest.mark.parametrize("value", [-1, 2**63, 2**64 - 1, 2**64])
def test_uint64_out_of_range(value):
    # uint64 in the spec, but no database column holds more than 2**63 - 1.
    err = error("GetEmailTemplate", {"TemplateID": value})
    assert err.code == "InvalidParameterValue"
    assert "`TemplateID`" in err.message
    assert "from 0 to 9223372036854775807" in err.message


@pytest.mark.parametrize("value", [0, 2**63 - 1])
def test_uint64_bounds_that_a_bigint_column_holds(value):
    assert schema.validate("GetEmailTemplate", {"TemplateID": value}) == {"TemplateID": value}


@pytest.mark.parametrize("value", [-(2**63) - 1, 2**63])
def test_int64_out_of_range(value):
    err = error(
        "GetAbuseReport", {"StartTime": "2024-01-01", "EndTime": "2024-01-02", "Offset": value}
    )
    assert err.code == "InvalidParameterValue"
    assert "`Offset`" in err.message


def test_int64_accepts_negative_values():
    # GetAbuseReport.Offset is declared int64, unlike the uint64 everywhere else.
    params = {"StartTime": "2024-01-01", "EndTime": "2024-01-02", "Offset": -5}
    assert schema.validate("GetAbuseReport", params) == params


# --- GET query parameters -------------------------------------------------------


def test_unflatten_rebuilds_lists_and_objects():
    pairs = [
        ("ReceiverId", "1"),
        ("Datas.0.Email", "a@x"),
        ("Datas.0.TemplateData", "{}"),
        ("Datas.1.Email", "b@x"),
        ("Emails.0", "c@x"),
    ]
    assert schema.unflatten(pairs) == {
        "ReceiverId": "1",
        "Datas": [{"Email": "a@x", "TemplateData": "{}"}, {"Email": "b@x"}],
        "Emails": ["c@x"],
    }


def test_unflatten_keeps_list_order_by_index_not_by_arrival():
    pairs = [(f"Emails.{i}", f"{i}@x") for i in (2, 10, 0, 1, 3, 4, 5, 6, 7, 8, 9)]
    assert schema.unflatten(pairs)["Emails"] == [f"{i}@x" for i in range(11)]


@pytest.mark.parametrize(
    "pairs",
    [
        [("Emails.0", "a"), ("Emails.2", "b")],
        [("Emails.1", "a")],
        [("Emails.0", "a"), ("Emails.00", "b")],
        [("Limit", "1"), ("Limit", "2")],
        [("Template", "x"), ("Template.TemplateID", "1")],
        [("Template.TemplateID", "1"), ("Template", "x")],
        [("Template..TemplateID", "1")],
        [("", "1")],
    ],
    ids=[
        "gap",
        "no-zero",
        "leading-zero",
        "repeated",
        "value-then-struct",
        "struct-then-value",
        "empty-segment",
        "empty-key",
    ],
)
def test_unflatten_refuses_ambiguous_queries(pairs):
    with pytest.raises(Refusal) as info:
        schema.unflatten(pairs)
    assert info.value.code == "InvalidParameter"


def test_unflatten_takes_keys_up_to_the_depth_bound():
    key = ".".join(["Template"] + ["a"] * (schema.MAX_KEY_DEPTH - 1))
    node = schema.unflatten([(key, "1")])["Template"]
    for _ in range(schema.MAX_KEY_DEPTH - 2):
        node = node["a"]
    assert node == {"a": "1"}


@pytest.mark.parametrize("depth", [schema.MAX_KEY_DEPTH + 1, 5_000, 1_000_000])
@pytest.mark.parametrize("segment", ["a", "0"])
def test_unflatten_refuses_keys_nested_deeper_than_the_bound(depth, segment):
    key = ".".join(["Template"] + [segment] * (depth - 1))
    with pytest.raises(Refusal) as info:
        schema.unflatten([("Limit", "1"), (key, "1")])
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == (
        f"The query parameter `Template.{segment}.{segment}...` is nested more than "
        f"{schema.MAX_KEY_DEPTH} levels deep."
    )


def test_the_depth_bound_refuses_no_parameter_of_the_spec():
    spec = schema.load()

    def depth(fields):
        levels = [
            1
            + (f.type == "list")
            + (depth(spec.objects[f.member]) if f.member in spec.objects else 0)
            for f in fields
        ]
        return max(levels, default=0)

    deepest = max(depth(spec.objects[name]) for name in spec.inputs.values())
    assert deepest == 3  # Attachments.0.FileName
    assert deepest < schema.MAX_KEY_DEPTH


def test_parse_query_coerces_to_declared_types():
    query = urlencode(
        {
            "EmailIdentity": "example.com",
            "NewAPI": "True",
            "DKIMOption": "1",
        }
    )
    assert schema.parse_query("UpdateEmailIdentity", query) == {
        "EmailIdentity": "example.com",
        "NewAPI": True,
        "DKIMOption": 1,
    }


def test_parse_query_keeps_strings_that_look_like_numbers():
    query = urlencode(
        {
            "FromEmailAddress": "a@x",
            "Subject": "2024",
            "Unsubscribe": "1",
            "Destination.0": "b@x",
            "Template.TemplateID": "5",
            "Template.TemplateData": "{}",
        }
    )
    params = schema.validate("SendEmail", schema.parse_query("SendEmail", query))
    assert params["Subject"] == "2024"
    assert params["Unsubscribe"] == "1"
    assert params["Template"] == {"TemplateID": 5, "TemplateData": "{}"}


@pytest.mark.parametrize("value", ["ten", "1.5", "", "1" * 25])
def test_parse_query_leaves_bad_ints_for_validation_to_name(value):
    params = schema.parse_query("ListEmailTemplates", urlencode({"Limit": value, "Offset": "0"}))
    err = error("ListEmailTemplates", params)
    assert err.code == "InvalidParameter"
    assert "`Limit`" in err.message


def test_parse_query_refuses_invalid_utf8():
    with pytest.raises(Refusal) as info:
        schema.parse_query("ListEmailTemplates", "Limit=%ff&Offset=0")
    assert info.value.code == "InvalidParameter"


def test_sdk_get_flattening_round_trips():
    """What the SDK's GET mode writes must read back as the params it was given."""
    params = {
        "FromEmailAddress": "Näme <noreply@mail.example.com>",
        "Subject": "Grüße & more",
        "Destination": ["a@example.com", "b+tag@example.com"],
        "Template": {"TemplateID": 100091, "TemplateData": json.dumps({"code": "1 2&3"})},
        "Attachments": [{"FileName": "a.txt", "Content": "aGVsbG8="}],
        "TriggerType": 1,
    }
    client = CommonClient("ses", "2020-10-02", Credential("id", "key"), "ap-guangzhou")
    query = urlencode(client._fix_params(params))
    assert schema.validate("SendEmail", schema.parse_query("SendEmail", query)) == params
