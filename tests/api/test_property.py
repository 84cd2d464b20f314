"""Bad input of any shape answers a documented error, never InternalError.

The regression tests first (each input an attack run or this property found),
then the property over every registered action.
"""

import base64
import copy
import json
import logging
import os
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.models import DomainStatus, SenderDomain
from sending.batch import receivers
from sending.models import CustomBlock
from sending.suppression import rules
from sesconsole.api import registry, schema
from sesconsole.refusals import Refusal

# Required params of the four list actions that hand Offset to the database.
LIST_ACTIONS = {
    "ListEmailTemplates": {},
    "GetSendEmailStatus": {"RequestDate": "today"},
    "ListBlackEmailAddress": {"StartDate": "2024-01-01", "EndDate": "2024-01-02"},
    "ListCustomBlacklist": {"Status": 2},
}


def list_params(action, offset, limit):
    params = dict(LIST_ACTIONS[action])
    if params.get("RequestDate") == "today":
        params["RequestDate"] = timezone.localdate().isoformat()
    return {**params, "Offset": offset, "Limit": limit}


@pytest.fixture
def api(call_api, account, verified_sender, approved_template):
    """call_api for an account with a sender and a template, and no rate limit in the way."""
    account.api_rate_per_second = 1_000_000
    account.save(update_fields=["api_rate_per_second"])
    return call_api


# --- regressions -------------------------------------------------------------------


@pytest.mark.parametrize("action", LIST_ACTIONS)
@pytest.mark.parametrize("offset", [2**63, 2**63 + 1, 2**64 - 1])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_offset_beyond_a_64_bit_column_is_an_invalid_value(api, action, offset, method):
    params = list_params(action, offset, 10)
    if method == "POST":
        reply = api(action, params)
    else:
        reply = api(action, method="GET", query=urlencode(params))
    assert reply.code == "InvalidParameterValue", (reply.code, reply.message)
    assert "`Offset`" in reply.message


@pytest.mark.parametrize("action", LIST_ACTIONS)
@pytest.mark.parametrize("offset", [2**63 - 101, 2**63 - 1])
@pytest.mark.parametrize("limit", [1, 100])
def test_largest_offsets_answer_an_empty_page(api, action, offset, limit):
    reply = api(action, list_params(action, offset, limit))
    assert reply.code is None, (reply.code, reply.message)
    page = {k: v for k, v in reply.response.items() if isinstance(v, list)}
    assert list(page.values()) == [[]]


@pytest.mark.parametrize("action", ["ListEmailTemplates", "ListCustomBlacklist"])
def test_largest_offset_with_limit_0_answers_an_empty_page(api, action):
    # Limit 0 is "all the rest": an OFFSET without a LIMIT in SQL.
    reply = api(action, list_params(action, 2**63 - 1, 0))
    assert reply.code is None, (reply.code, reply.message)


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_get_key_is_an_invalid_value(api, depth):
    query = "Offset=0&Limit=1&X" + ".a" * depth + "=1"
    reply = api("ListEmailTemplates", method="GET", query=query)
    assert reply.code == "InvalidParameterValue", (reply.code, reply.message)
    assert "nested" in reply.message


def test_deeply_nested_get_index_is_an_invalid_value(api):
    query = "Emails" + ".0" * 5_000 + "=a%40example.com"
    reply = api("DeleteCustomBlackList", method="GET", query=query)
    assert reply.code == "InvalidParameterValue", (reply.code, reply.message)


# Found by the property below: JSON that Python's parser refuses with ValueError
# or RecursionError instead of JSONDecodeError, in TemplateData.
UNREADABLE_JSON = [
    "9" * 4_301,
    '{"name": ' + "1" * 5_000 + ', "code": "1"}',
    "[" * 5_000 + "]" * 5_000,
    '{"name": ' + "[" * 100_000,
]


@pytest.mark.parametrize(
    "data", UNREADABLE_JSON, ids=["long-int", "long-int-value", "deep", "deep-open"]
)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_template_data_python_cannot_read_is_wrong_content_json(
    api, approved_template, data, method
):
    params = {
        "FromEmailAddress": "Acme Shop <noreply@mail.acme.example>",
        "Destination": ["ana@example.com"],
        "Subject": "Your sign-in code",
        "Template": {"TemplateID": approved_template.pk, "TemplateData": data},
    }
    if method == "POST":
        reply = api("SendEmail", params)
    else:
        query = urlencode(
            {
                "FromEmailAddress": params["FromEmailAddress"],
                "Destination.0": "ana@example.com",
                "Subject": params["Subject"],
                "Template.TemplateID": approved_template.pk,
                "Template.TemplateData": data,
            }
        )
        reply = api(
            "SendEmail", method="GET", query=query, content_type="application/x-www-form-urlencoded"
        )
    assert reply.code == "FailedOperation.WrongContentJson", (reply.code, reply.message)
    assert "number too long or nesting too deep" in reply.message


def test_deeply_nested_json_body_is_refused(api):
    body = json.dumps({"Offset": 0, "Limit": 1}).encode()[:-1] + b', "X": ' + b"[" * 100_000
    reply = api("ListEmailTemplates", body=body + b"]" * 100_000 + b"}")
    assert reply.code == "InvalidParameter", (reply.code, reply.message)


# --- the property ------------------------------------------------------------------
#
# Every registered action gets POST bodies and GET query strings of any shape:
# its own parameters with meaningful, random or wrongly typed values (huge and
# negative ints, floats, any Unicode, long strings, JSON text nested deeper than
# a parser can follow), unknown parameters, non-object and invalid JSON, broken
# percent-encoding. Each request is signed, so it reaches validation and the
# handler, and runs in a savepoint rolled back afterwards: every example starts
# from the same data.

# The spec holds no error codes per action: documented are the common codes and
# the SES codes of its error tables (error_codes.json, copied from them).
CODES = json.loads((Path(__file__).with_name("error_codes.json")).read_text(encoding="utf-8"))
DOCUMENTED = (set(CODES["common"]) | set(CODES["ses"])) - {
    "InternalError",
    "InternalError.QueryDataBaseFailed",
}

# max_examples is the budget of an action without parameters; an action gets a
# fifth more for each parameter it has (nested ones too): SendEmail's 18 get 4.6
# times as many as ListEmailAddress.
settings.register_profile(
    "api-ci",
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
# SES_HYPOTHESIS_PROFILE=api-thorough: many more examples from a new random
# seed each run (Hypothesis prints the seed of a failure for --hypothesis-seed).
settings.register_profile(
    "api-thorough", settings.get_profile("api-ci"), max_examples=400, derandomize=False
)
PROFILE = settings.get_profile(os.environ.get("SES_HYPOTHESIS_PROFILE", "api-ci"))


def budget(action: str) -> settings:
    paths = len(field_paths(input_object(action)))
    return settings(PROFILE, max_examples=PROFILE.max_examples * (5 + paths) // 5)


ACTIONS = sorted(registry.registered())


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


@dataclass(frozen=True)
class Raw:
    """JSON text spliced into a body as it is: nesting no serializer here could
    produce without recursing as deep, and number literals of any length."""

    text: str


def to_json(value, ensure_ascii: bool) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k, ensure_ascii=ensure_ascii)}: {to_json(v, ensure_ascii)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v, ensure_ascii) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


# Depths around Python's recursion limit (1000) and far beyond it.
DEPTHS = [2, 50, 500, 990, 1_000, 5_000, 100_000]
raw_json = st.one_of(
    st.tuples(st.sampled_from(DEPTHS), st.sampled_from(["1", "{}", '"a"'])).map(
        lambda d: "[" * d[0] + d[1] + "]" * d[0]
    ),
    st.sampled_from(DEPTHS).map(lambda d: '{"a": ' * d + "1" + "}" * d),
    st.sampled_from(DEPTHS).map(lambda d: "[" * d),  # never closed
    st.tuples(st.sampled_from(["", "-"]), st.sampled_from([19, 20, 21, 4_300, 4_301, 10_000])).map(
        lambda d: d[0] + "9" * d[1]
    ),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0", "1E2", "1.0", "0.5"]),
).map(Raw)

# Any code point: NUL, controls, lone surrogates, private use, unassigned.
any_char = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(any_char, max_size=30),
    st.sampled_from(["", " ", "0", "-1", "1.5", "true", "null", "{}", "[]", "\x00", "\ud800"]),
    st.integers(1_000, 20_000).map(lambda n: "x" * n),
    raw_json.map(lambda r: r.text),  # JSON text inside a string: TemplateData, SmtpHeaders
)
# Each side of the limits of 16-, 32- and 64-bit columns, signed or not.
BOUNDARY_INTS = sorted(
    {0, 1, 99, 100, 101, 10**30}
    | {
        sign * 2**bits + d
        for bits in (15, 16, 31, 32, 53, 63, 64)
        for sign in (1, -1)
        for d in (-1, 0, 1)
    }
)
ints = st.one_of(st.integers(-3, 120), st.sampled_from(BOUNDARY_INTS), st.integers())
scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(), texts, raw_json)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(any_char, max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class World:
    sender: str
    template_id: int
    block_id: int
    message_id: str
    receiver_id: int = 0  # an empty recipient list
    ready_receiver_id: int = 0  # a list of two addresses without data, ready to send to


def meaningful(world: World, action: str) -> dict[str, list]:
    """Values by parameter name that lead `action`'s handler past its first checks.

    The first of each is one the handler accepts: the action's baseline.
    """
    today = timezone.localdate()

    def day(delta):
        return (today + timedelta(days=delta)).isoformat()

    emails = [
        "ana@example.com",
        world.sender,
        "bounced@example.com",
        "blocked@example.com",
        "Ana@Example.COM",
        "ana@bücher.example",
        "a@b",
        "not an address",
        " ",
        "",
    ]
    dates = [day(0), day(-1), day(-31), day(1), "2024-02-30", "2024-1-1", "24-01-01", ""]
    content = [
        b64("<p>Hello {{name}}</p>"),
        b64("Hello {{name}}, {{code}}"),
        "",
        "not base64!",
        b64(b"\xff\xfe"),
        b64("a\x00b"),
        b64("x" * 70_000),
    ]
    good: dict[str, list] = {
        "EmailIdentity": [
            "new.acme.example",
            "empty.acme.example",
            "mail.acme.example",
            "bücher.example",
            "xn--bcher-kva.example",
            "localhost",
            "a..b",
            "",
        ],
        "DKIMOption": [1, 0, 2, 3],
        "NewAPI": [True, False],
        "TagKey": ["env", ""],
        "TagValue": ["prod", ""],
        "EmailAddress": [world.sender, "hello@mail.acme.example", *emails],
        "EmailSenderName": ["Acme", "", "a\nb", "x" * 300],
        "Password": ["Abcdef123456Xy", "short", ""],
        "TemplateName": ["Welcome", "", "x" * 300, "a\nb"],
        "Html": content,
        "Text": content,
        "TemplateID": [world.template_id, 0, 1, 2**63 - 1],
        "TemplateData": [
            json.dumps({"name": "Ana", "code": "1234"}),
            "{}",
            "",
            "[]",
            '{"name": 1}',
            '{"name": {"a": 1}}',
            "not json",
        ],
        "FromEmailAddress": [
            f"Acme Shop <{world.sender}>",
            world.sender,
            "Nobody <x@other.example>",
            "<>",
            "a b<c@d>",
        ],
        "Subject": ["Your sign-in code", "{{name}}", "", "x" * 1_000, "a\r\nb"],
        "Destination": emails,
        "Cc": emails,
        "Bcc": emails,
        "ReplyToAddresses": emails,
        "HeaderFrom": [world.sender, "x@other.example", ""],
        "FileName": ["a.txt", "../x", "", "a" * 300],
        "Content": [b64("hello"), "!!", ""],
        "FileURL": ["https://example.com/a.txt", ""],
        "Unsubscribe": ["0", "1", "12", "13", ""],
        "TriggerType": [1, 0, 2],
        "SmtpMessageId": ["<a@mail.acme.example>", "x", ""],
        "SmtpHeaders": ['{"X-Tag": "v"}', "{}", '{"Subject": "x"}', "[]", ""],
        "RequestDate": dates,
        "StartDate": [day(-7), *dates],
        "EndDate": dates,
        "ExpireDate": [day(1), "", *dates],
        "Offset": [0, 1, 2**63 - 1, 2**63],
        "Limit": [10, 1, 100, 0, 101],
        "Status": [2, 1, 0, 3],
        "Id": [world.block_id, 0, 2**63 - 1],
        "MessageId": [world.message_id, "x", ""],
        "ToEmailAddress": emails,
        "TaskID": ["", "1"],
        "Email": ["new@example.com", *emails],
        "Emails": emails,
        "EmailAddressList": emails,
        "ReceiversName": ["New customers", "", "x" * 300, "a<b>", "Customers"],
        "Desc": ["Signed up in May", "", "x" * 400, "a\nb"],
        "ReceiverId": [world.receiver_id, world.ready_receiver_id, 0, 2**63 - 1],
        "TaskType": [1, 2, 3, 0, 4],
        "ADLocation": [0, 1, 2, 3],
        "BeginTime": [f"{day(1)} 09:00:00", f"{day(-1)} 09:00:00", "", "tomorrow"],
        "IntervalTime": [24, 1, 0, 10_000],
        "TermCycle": [0, 1, 2],
        "KeyWord": ["cust", "", "%"],
        "CreateTimeBegin": [day(-1), f"{day(0)} 00:00:00", "", "2024-02-30", "0001-01-01"],
        "CreateTimeEnd": [day(1), f"{day(0)} 23:59:59", "", "24-01-01", "9999-12-31"],
    }
    # Creating needs a new name; the other actions one that exists (and a domain
    # without addresses, which DeleteEmailIdentity can delete).
    named = {
        "EmailIdentity": "new.acme.example"
        if action == "CreateEmailIdentity"
        else "empty.acme.example",
        "EmailAddress": "hello@mail.acme.example"
        if action == "CreateEmailAddress"
        else world.sender,
    }
    first: dict[str, object] = {**named}
    if action == "BatchSendEmail":
        first["ReceiverId"] = world.ready_receiver_id
    for name, accepted in first.items():
        good[name] = [accepted, *(v for v in good[name] if v != accepted)]
    return good


# How parameters are given. "near": the action's baseline (its accepted values)
# with at most two parameters given otherwise; "few" and "wild": each parameter
# independently, most or few of them meaningful. Weights as repetitions; the
# first is where shrinking goes.
HOWS = ["meaningful", "typed", "junk", "null", "absent"]
NEAR_HOWS = ["meaningful"] * 3 + ["typed", "junk", "null", "absent"]
PRESENCE = {
    "few": (
        ["meaningful"] * 12 + ["typed", "typed", "junk", "null", "absent"],
        ["absent"] * 6 + ["meaningful"] * 6 + ["typed", "junk", "null"],
    ),
    "wild": (HOWS, ["absent", "meaningful", "typed", "junk", "null"]),
}
# Optional parameters the baseline gives, by input object.
BASELINE_OPTIONAL = {
    "SendEmailRequest": {"Destination", "Template"},
    "BatchSendEmailRequest": {"Template"},
    "TemplateContent": {"Html"},
}


def baseline(object_name: str, good: dict) -> dict:
    """The accepted params of the input object `object_name`: first meaningful values."""
    drawn = {}
    for f in schema.load().objects[object_name]:
        if f.required or f.name in BASELINE_OPTIONAL.get(object_name, ()):
            nested = f.member in schema.load().objects
            one = baseline(f.member, good) if nested else good[f.name][0]
            drawn[f.name] = [one] if f.type == "list" else one
    return drawn


def typed(member: str):
    kind = schema.SCALAR_MEMBERS[member]
    return {"string": texts, "int": ints, "bool": st.booleans()}[kind]


# Parameters that hold JSON text, which their handlers parse.
JSON_TEXT = {"TemplateData", "SmtpHeaders"}
json_texts = st.one_of(
    st.dictionaries(st.sampled_from(["name", "code", "X-Tag", ""]), json_values, max_size=3),
    json_values,
    raw_json,
).map(lambda v: to_json(v, ensure_ascii=False))


def element(name: str, member: str, how: str, good: dict):
    if member in schema.load().objects:
        return params(member, good)
    if how == "meaningful" and name in JSON_TEXT:
        return st.one_of(st.sampled_from(good[name]), json_texts)
    if how == "meaningful" and name in good:
        return st.sampled_from(good[name])
    return typed(member)


def value(field: schema.Field, how: str, good: dict):
    if how == "junk":
        return json_values
    one = element(field.name, field.member, how, good)
    if field.type != "list":
        return one
    return st.one_of(
        st.lists(one, max_size=4),
        # Past the limits of recipients (50) and blocklist entries; of short
        # elements only, or a GET query would grow to megabytes.
        st.tuples(one, st.integers(45, 60)).map(
            lambda t: [t[0]] * t[1] if len(repr(t[0])) < 300 else [t[0]]
        ),
    )


def field_paths(object_name: str, prefix: tuple = ()) -> list[tuple[tuple, schema.Field]]:
    """Every parameter of the input object, nested objects' own ones too."""
    paths = []
    for f in schema.load().objects[object_name]:
        paths.append(((*prefix, f.name), f))
        if f.type == "object":
            paths.extend(field_paths(f.member, (*prefix, f.name)))
    return paths


@st.composite
def params(draw, object_name: str, good: dict):
    """Params of the input object `object_name` (an action's, or one nested in it)."""
    intensity = draw(st.sampled_from(["near", "near", "few", "wild"]))
    if intensity == "near":
        return draw(near_baseline(object_name, good))
    drawn = {}
    for f in schema.load().objects[object_name]:
        how = draw(st.sampled_from(PRESENCE[intensity][0 if f.required else 1]))
        if how != "absent":
            drawn[f.name] = None if how == "null" else draw(value(f, how, good))
    if draw(st.integers(0, 15)) == 0:
        drawn[draw(st.text(any_char, max_size=8))] = draw(json_values)
    return drawn


@st.composite
def near_baseline(draw, object_name: str, good: dict):
    """The baseline with one or two parameters, at any depth, given otherwise."""
    drawn = copy.deepcopy(baseline(object_name, good))
    paths = field_paths(object_name)
    if not paths:
        return drawn
    # JSON text meets a second parser in its handler: picked three times as often.
    paths += [(path, f) for path, f in paths if f.name in JSON_TEXT] * 2
    for path, f in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True)):
        node = drawn
        for name in path[:-1]:
            node = node.setdefault(name, {}) if isinstance(node, dict) else None
        if not isinstance(node, dict):  # the other change replaced a parent
            continue
        how = draw(st.sampled_from(NEAR_HOWS))
        node.pop(path[-1], None)
        if how != "absent":
            node[path[-1]] = None if how == "null" else draw(value(f, how, good))
    return drawn


def input_object(action: str) -> str:
    return schema.load().inputs[action]


ENCODINGS = ["ascii", "utf-8", "utf-8", "utf-16", "utf-32", "utf-8-sig"]


def encode(text: str, encoding: str) -> bytes:
    # surrogatepass: a lone surrogate written raw makes the bytes invalid UTF-8.
    return text.encode("utf-8" if encoding == "ascii" else encoding, "surrogatepass")


@st.composite
def post_bodies(draw, action, good):
    kind = draw(st.sampled_from(["params"] * 8 + ["any-json", "bytes", "raw", "cut"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "raw":
        return draw(raw_json).text.encode()
    top = draw(json_values) if kind == "any-json" else draw(params(input_object(action), good))
    body = encode(to_json(top, ensure_ascii=encoding == "ascii"), encoding)
    if kind == "cut":
        body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]
    return body


def flatten(value, prefix: str) -> list[tuple[str, str]]:
    """The SDK's GET flattening (a.0.b=v), of any value."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in flatten(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in flatten(v, f"{prefix}.{i}")]
    if value is None:
        return []
    if isinstance(value, Raw):
        return [(prefix, value.text)]
    if isinstance(value, float):
        return [(prefix, repr(value))]
    return [(prefix, str(value))]


BROKEN_ESCAPES = ["%", "%f", "%zz", "%ff", "%c3%28", "%ed%a0%80", "%00", "+", "=", "&", ";"]


@st.composite
def segments(draw, names):
    return draw(
        st.one_of(
            st.sampled_from(names),
            st.sampled_from(["0", "1", "00", "01", "10", "99999999999999999999", "", "-1"]),
            st.text(any_char, max_size=6),
        )
    )


# A request line has a few KB in practice; longer values only slow the test
# (unquoting is pure Python) and 5,000 characters still nest past the parser.
MAX_GET_VALUE = 5_000


@st.composite
def query_strings(draw, action, good):
    names = [f.name for f in schema.input_fields(action)] or ["X"]
    pairs = flatten(draw(params(input_object(action), good)), "")
    broken = []  # written into the query as they are
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        extra = draw(st.sampled_from(["key", "deep", "repeat", "broken"]))
        if extra == "key":
            key = ".".join(draw(st.lists(segments(names), min_size=1, max_size=6)))
            pairs.append((key, draw(texts)))
        elif extra == "deep":
            step = draw(st.sampled_from([".a", ".0", "."]))
            depth = draw(
                st.sampled_from([schema.MAX_KEY_DEPTH - 1, schema.MAX_KEY_DEPTH, 50, 3_000])
            )
            pairs.append((draw(st.sampled_from(names)) + step * depth, "1"))
        elif extra == "repeat" and pairs:
            pairs.append(draw(st.sampled_from(pairs)))
        else:
            key = draw(st.sampled_from([*names, *BROKEN_ESCAPES]))
            broken.append(
                f"{key}{draw(st.sampled_from(['=', '']))}{draw(st.sampled_from(BROKEN_ESCAPES))}"
            )
    parts = []
    for key, val in draw(st.permutations(pairs)) if len(pairs) < 12 else pairs:
        quote_it = draw(st.sampled_from([quote, quote, quote_plus]))
        key, val = encode(key, "utf-8"), encode(val[:MAX_GET_VALUE], "utf-8")
        parts.append(f"{quote_it(key, safe='.')}={quote_it(val)}")
    for raw in broken:
        parts.insert(draw(st.integers(0, len(parts))), raw)
    return draw(st.sampled_from(["&", "&", "&&"])).join(parts)


@pytest.fixture
def world(api, account, verified_sender, approved_template):
    """Data for the handlers' real queries: a sent message, blocklist entries, a
    second domain without addresses; limits that would mask the handlers raised."""
    account.daily_quota = account.hourly_per_recipient = 1_000_000
    account.allow_custom_content = True
    account.save(update_fields=["daily_quota", "hourly_per_recipient", "allow_custom_content"])
    SenderDomain.objects.create(
        account=account, name="empty.acme.example", status=DomainStatus.VERIFIED
    )
    rules.block_hard_bounce("bounced@example.com", account, "550 no such user")
    rules.add_custom(account, ["blocked@example.com"])
    receiver_list = receivers.create(account, "Customers")
    ready = receivers.create(account, "Ready")
    receivers.append(account, ready.pk, [("ana@example.com", None), ("bo@example.com", None)])
    sent = api(
        "SendEmail",
        {
            "FromEmailAddress": f"Acme Shop <{verified_sender.email}>",
            "Destination": ["ana@example.com"],
            "Subject": "Your sign-in code",
            "Template": {
                "TemplateID": approved_template.pk,
                "TemplateData": json.dumps({"name": "Ana", "code": "1234"}),
            },
        },
    )
    assert sent.code is None, (sent.code, sent.message)
    return World(
        sender=verified_sender.email,
        template_id=approved_template.pk,
        block_id=CustomBlock.objects.get(account=account).pk,
        message_id=sent.response["MessageId"],
        receiver_id=receiver_list.pk,
        ready_receiver_id=ready.pk,
    )


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logged_errors():
    """Records at ERROR or above from any logger (views.gateway logs a crash so)."""
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


@pytest.fixture
def handler_calls():
    """Counts, per action, the requests that reached the real handler."""
    calls = Counter()

    def counting(action, real):
        def handler(ctx, params):
            calls[action] += 1
            return real(ctx, params)

        return handler

    with ExitStack() as stack:
        for action in ACTIONS:
            stack.enter_context(registry.override(action, counting(action, registry.get(action))))
        yield calls


def exchange(api, logged_errors, action, **request) -> str | None:
    """One request in a rolled-back savepoint; its answer must be a documented one."""
    logged_errors.clear()
    with transaction.atomic():
        reply = api(action, **request)  # checks the envelope: HTTP 200, JSON, RequestId
        transaction.set_rollback(True)
    assert reply.code != "InternalError", reply.message
    # Signed right, every request must get past authentication to the checks.
    assert not (reply.code or "").startswith("AuthFailure"), (reply.code, reply.message)
    assert reply.code is None or reply.code in DOCUMENTED, (reply.code, reply.message)
    assert not logged_errors, [r.getMessage() for r in logged_errors]
    return reply.code


@pytest.mark.parametrize("action", ACTIONS)
def test_the_baseline_of_every_action_succeeds(api, world, logged_errors, action):
    """The examples start from requests the handlers accept, so they run real queries."""
    good = meaningful(world, action)
    params = baseline(input_object(action), good)
    assert exchange(api, logged_errors, action, params=params) is None


@pytest.mark.parametrize("action", ACTIONS)
def test_post_bodies_of_any_shape(api, world, logged_errors, handler_calls, action):
    good = meaningful(world, action)
    outcomes = Counter()

    @budget(action)
    @given(body=post_bodies(action, good))
    def run(body):
        outcomes[exchange(api, logged_errors, action, body=body)] += 1

    run()
    assert handler_calls[action] > 0, f"no example got past validation: {dict(outcomes)}"


@pytest.mark.parametrize("action", ACTIONS)
def test_get_queries_of_any_shape(api, world, logged_errors, handler_calls, action):
    good = meaningful(world, action)
    outcomes = Counter()

    @budget(action)
    @given(query=query_strings(action, good))
    def run(query):
        outcomes[
            exchange(
                api,
                logged_errors,
                action,
                method="GET",
                query=query,
                content_type="application/x-www-form-urlencoded",
            )
        ] += 1

    run()
    assert handler_calls[action] > 0, f"no example got past validation: {dict(outcomes)}"


# --- the property's own checks can fail ----------------------------------------------


def test_exchange_fails_on_an_internal_error(api, logged_errors):
    def crash(ctx, params):
        raise RuntimeError("boom")

    with registry.override("GetEmailTemplate", crash), pytest.raises(AssertionError):
        exchange(api, logged_errors, "GetEmailTemplate", params={"TemplateID": 1})


def test_exchange_fails_on_an_undocumented_code(api, logged_errors):
    def refuse(ctx, params):
        raise Refusal("InvalidParameterValue.NoSuchThing", "made up")

    with registry.override("GetEmailTemplate", refuse), pytest.raises(AssertionError):
        exchange(api, logged_errors, "GetEmailTemplate", params={"TemplateID": 1})


def test_exchange_fails_on_an_error_logged_behind_a_success(api, logged_errors):
    def swallow(ctx, params):
        logging.getLogger("sending").exception("a crash answered as a success")
        return {}

    with registry.override("GetEmailTemplate", swallow), pytest.raises(AssertionError):
        exchange(api, logged_errors, "GetEmailTemplate", params={"TemplateID": 1})


def test_exchange_rolls_back_what_a_request_wrote(api, logged_errors, approved_template):
    exchange(api, logged_errors, "DeleteEmailTemplate", params={"TemplateID": approved_template.pk})
    assert (
        exchange(
            api, logged_errors, "GetEmailTemplate", params={"TemplateID": approved_template.pk}
        )
        is None
    )
