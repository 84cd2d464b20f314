"""The five template API actions through the gateway: reply shapes, status codes, error codes."""

import base64
from datetime import UTC, datetime

import pytest
from django.forms.models import model_to_dict

from accounts.models import Account, User
from templates_app import workflow
from templates_app.models import (
    API_DEFAULT_CATEGORY,
    Category,
    EmailTemplate,
    ReviewDecision,
    RevisionStatus,
    TemplateRevision,
)
from tests.tc3 import ok

SENTENCES = [
    "We have received your order and it is now being prepared at our warehouse.",
    "A member of our team checks every item before it is packed and labelled.",
    "You will get another message with the tracking number once the parcel leaves.",
    "Deliveries usually arrive within three to five working days after dispatch.",
    "If you need to change the delivery address, reply to this message before noon.",
    "Our support desk is open from nine to six on weekdays for any question.",
    "Thank you for shopping with us and we hope you enjoy your purchase.",
]
GET_KEYS = {"TemplateContent", "TemplateStatus", "TemplateName", "RequestId"}
META_KEYS = {"TemplateID", "TemplateName", "TemplateStatus", "CreatedTimestamp", "ReviewReason"}


def words(count: int) -> str:
    """`count` words of a plausible shipping notice, cut at a word boundary."""
    pool = " ".join(SENTENCES).split()
    return " ".join(pool[i % len(pool)] for i in range(count))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(value: str) -> str:
    return base64.b64decode(value, validate=True).decode()


def html_of(count: int = 60) -> str:
    return f"<html><body><p>Hello {{{{name}}}},</p><p>{words(count)}</p></body></html>"


def text_of(count: int = 60) -> str:
    return f"Hello {{{{name}}}},\n\n{words(count)}\n"


def content(count: int = 60, html: bool = True, text: bool = True) -> dict:
    parts = {}
    if html:
        parts["Html"] = b64(html_of(count))
    if text:
        parts["Text"] = b64(text_of(count))
    return parts


@pytest.fixture(autouse=True)
def _fast_api(account):
    # Many calls of one action happen within a second here.
    Account.objects.filter(pk=account.pk).update(api_rate_per_second=10_000)


@pytest.fixture
def reviewer(db):
    return User.objects.create_user(email="rita@platform.example", is_reviewer=True)


@pytest.fixture
def other(other_tenant_api):
    return other_tenant_api


def create(call_api, name="Order shipped", parts=None) -> int:
    params = {"TemplateName": name, "TemplateContent": content() if parts is None else parts}
    return ok(call_api("CreateEmailTemplate", params))["TemplateID"]


def get(call_api, template_id) -> dict:
    return ok(call_api("GetEmailTemplate", {"TemplateID": template_id}))


def listed(call_api, limit=100, offset=0) -> dict:
    return ok(call_api("ListEmailTemplates", {"Limit": limit, "Offset": offset}))


def snapshot():
    return (
        [model_to_dict(t) for t in EmailTemplate.objects.order_by("pk")],
        [model_to_dict(r) for r in TemplateRevision.objects.order_by("pk")],
        list(ReviewDecision.objects.order_by("pk").values()),
    )


# --- CreateEmailTemplate ------------------------------------------------------------


def test_create_reply_shape_and_stored_template(call_api, account):
    response = ok(
        call_api(
            "CreateEmailTemplate",
            {"TemplateName": "  Order shipped  ", "TemplateContent": content()},
        )
    )
    assert set(response) == {"TemplateID", "RequestId"}
    assert isinstance(response["TemplateID"], int)
    template = EmailTemplate.objects.get(pk=response["TemplateID"])
    assert template.account == account
    revision = template.latest
    assert (revision.number, revision.name) == (1, "Order shipped")
    assert (revision.html, revision.text) == (html_of(), text_of())
    assert revision.category == API_DEFAULT_CATEGORY
    assert revision.variables == ["name"]
    assert revision.status == RevisionStatus.PENDING
    assert revision.submitted_at is not None and revision.due_at is not None
    assert revision.created_by is None
    assert template.approved is None


@pytest.mark.parametrize("part", ["Html", "Text"])
def test_create_with_one_part(call_api, part):
    template_id = create(call_api, parts={part: content()[part]})
    got = get(call_api, template_id)
    assert got["TemplateContent"][part] == content()[part]
    missing = "Text" if part == "Html" else "Html"
    assert got["TemplateContent"][missing] == ""
    assert got["TemplateStatus"] == 1


def test_official_examples_are_created_and_rejected_by_the_automatic_check(call_api):
    """The spec's examples are a handful of words: created, then rejected at once."""
    html = {"Html": "PGh0bWw+dGhpcyBpcyBhIGV4YW1wbGUge3tjb2RlfX08L2h0bWw+"}
    text = {"Text": "dGhpcyBpcyBhIGV4YW1wbGUge3tjb2RlfX0="}
    for parts in (html, text):
        template_id = create(call_api, name="TestName", parts=parts)
        got = get(call_api, template_id)
        assert got["TemplateStatus"] == 2
        assert got["TemplateName"] == "TestName"
        assert EmailTemplate.objects.get(pk=template_id).latest.variables == ["code"]


def test_create_accepts_a_name_of_100_characters(call_api):
    template_id = create(call_api, name="N" * 100)
    assert get(call_api, template_id)["TemplateName"] == "N" * 100


def test_create_at_the_size_limit(call_api, settings):
    parts = content()
    settings.SES_TEMPLATE_MAX_BYTES = len(html_of().encode()) + len(text_of().encode())
    create(call_api, parts=parts)


# --- error codes --------------------------------------------------------------------


CREATE_ERRORS = [
    ("empty name", {"TemplateName": ""}, "InvalidParameterValue.TemplateNameIsNULL"),
    ("blank name", {"TemplateName": " \t "}, "InvalidParameterValue.TemplateNameIsNULL"),
    ("long name", {"TemplateName": "N" * 101}, "InvalidParameterValue.TemplateNameIllegal"),
    ("control in name", {"TemplateName": "a\nb"}, "InvalidParameterValue.TemplateNameIllegal"),
    ("no parts", {"TemplateContent": {}}, "InvalidParameterValue.TemplateContentIsNULL"),
    (
        "empty parts",
        {"TemplateContent": {"Html": "", "Text": ""}},
        "InvalidParameterValue.TemplateContentIsNULL",
    ),
    (
        "blank parts",
        {"TemplateContent": {"Html": b64("  "), "Text": b64("\n")}},
        "InvalidParameterValue.TemplateContentIsNULL",
    ),
    (
        "not base64",
        {"TemplateContent": {"Html": "<p>plain html</p>"}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "missing padding",
        {"TemplateContent": {"Text": b64("hello")[:-1]}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "line breaks in base64",
        {"TemplateContent": {"Text": b64(words(60))[:40] + "\n" + b64(words(60))[40:]}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "urlsafe alphabet",
        {"TemplateContent": {"Text": base64.urlsafe_b64encode(b"\xfb\xff" * 30).decode()}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "not UTF-8",
        {"TemplateContent": {"Text": base64.b64encode(words(60).encode() + b"\xff").decode()}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "Latin-1 in a good Html beside good Text",
        {
            "TemplateContent": {
                "Html": base64.b64encode(f"<p>Café {words(60)}</p>".encode("latin-1")).decode(),
                "Text": b64(text_of()),
            }
        },
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
    (
        "NUL character",
        {"TemplateContent": {"Text": b64(words(30) + "\x00" + words(30))}},
        "InvalidParameterValue.TemplateContentIsWrong",
    ),
]


@pytest.mark.parametrize(
    ("change", "code"), [e[1:] for e in CREATE_ERRORS], ids=[e[0] for e in CREATE_ERRORS]
)
def test_create_errors(call_api, change, code):
    before = snapshot()
    params = {"TemplateName": "Order shipped", "TemplateContent": content(), **change}
    reply = call_api("CreateEmailTemplate", params)
    assert reply.code == code, reply.message
    assert reply.message
    assert snapshot() == before


def test_create_missing_parameters(call_api):
    reply = call_api("CreateEmailTemplate", {"TemplateName": "Order shipped"})
    assert (reply.code, reply.message) == (
        "MissingParameter",
        "The parameter `TemplateContent` is missing.",
    )
    reply = call_api("CreateEmailTemplate", {"TemplateContent": content()})
    assert reply.code == "MissingParameter"
    assert EmailTemplate.objects.count() == 0


def test_content_too_large(call_api, settings):
    settings.SES_TEMPLATE_MAX_BYTES = 200
    # 60 words are about 330 bytes of text: the limit counts decoded bytes.
    reply = call_api(
        "CreateEmailTemplate",
        {"TemplateName": "Big", "TemplateContent": {"Text": b64(words(60))}},
    )
    assert reply.code == "FailedOperation.TemplateContentToolarge"
    # Multi-byte characters count as their UTF-8 bytes: 70 characters, 210 bytes.
    reply = call_api(
        "CreateEmailTemplate",
        {"TemplateName": "Big", "TemplateContent": {"Text": b64("发货通知" * 17 + "发货")}},
    )
    assert reply.code == "FailedOperation.TemplateContentToolarge"
    assert EmailTemplate.objects.count() == 0


def test_template_limit(call_api, account):
    account.max_templates = 1
    account.save()
    first = create(call_api)
    before = snapshot()
    reply = call_api(
        "CreateEmailTemplate", {"TemplateName": "Second", "TemplateContent": content()}
    )
    assert reply.code == "FailedOperation.ExceedTemplateLimit"
    assert snapshot() == before
    # Deleting one makes room again.
    ok(call_api("DeleteEmailTemplate", {"TemplateID": first}))
    create(call_api, name="Second")


MISSING_IDS = [987654, 2**63 - 1]
# Beyond what the id column holds: refused by the gateway before any lookup.
OUT_OF_RANGE_IDS = [2**63, 2**64 - 1]
NOT_FOUND = [
    ("GetEmailTemplate", {}),
    ("UpdateEmailTemplate", {"TemplateName": "Renamed", "TemplateContent": content()}),
    ("DeleteEmailTemplate", {}),
]


@pytest.mark.parametrize(("action", "extra"), NOT_FOUND, ids=[a for a, _ in NOT_FOUND])
@pytest.mark.parametrize("missing", MISSING_IDS)
def test_template_not_exist(call_api, action, extra, missing):
    create(call_api)
    before = snapshot()
    reply = call_api(action, {"TemplateID": missing, **extra})
    assert reply.code == "InvalidParameterValue.TemplateNotExist", reply.message
    assert snapshot() == before


@pytest.mark.parametrize(("action", "extra"), NOT_FOUND, ids=[a for a, _ in NOT_FOUND])
@pytest.mark.parametrize("too_large", OUT_OF_RANGE_IDS)
def test_template_id_out_of_range(call_api, action, extra, too_large):
    create(call_api)
    before = snapshot()
    reply = call_api(action, {"TemplateID": too_large, **extra})
    assert reply.code == "InvalidParameterValue", reply.message
    assert snapshot() == before


def test_deleted_template_does_not_exist(call_api):
    template_id = create(call_api)
    ok(call_api("DeleteEmailTemplate", {"TemplateID": template_id}))
    for action, extra in NOT_FOUND:
        reply = call_api(action, {"TemplateID": template_id, **extra})
        assert reply.code == "InvalidParameterValue.TemplateNotExist", action


UPDATE_ERRORS = [
    ({"TemplateName": ""}, "InvalidParameterValue.TemplateNameIsNULL"),
    ({"TemplateName": "x" * 101}, "InvalidParameterValue.TemplateNameIllegal"),
    ({"TemplateContent": {"Text": ""}}, "InvalidParameterValue.TemplateContentIsNULL"),
    ({"TemplateContent": {"Html": "%%%"}}, "InvalidParameterValue.TemplateContentIsWrong"),
    ({"TemplateID": "one"}, "InvalidParameter"),
]


@pytest.mark.parametrize(("change", "code"), UPDATE_ERRORS)
def test_update_errors_leave_the_template_as_it_was(call_api, change, code):
    template_id = create(call_api)
    before = snapshot()
    params = {"TemplateID": template_id, "TemplateName": "New", "TemplateContent": content(70)}
    reply = call_api("UpdateEmailTemplate", {**params, **change})
    assert reply.code == code, reply.message
    assert snapshot() == before


def test_update_too_large(call_api, settings):
    template_id = create(call_api)
    settings.SES_TEMPLATE_MAX_BYTES = 100
    before = snapshot()
    reply = call_api(
        "UpdateEmailTemplate",
        {"TemplateID": template_id, "TemplateName": "New", "TemplateContent": content()},
    )
    assert reply.code == "FailedOperation.TemplateContentToolarge"
    assert snapshot() == before


LIST_ERRORS = [
    ({"Limit": 101, "Offset": 0}, "FailedOperation.InvalidLimit"),
    ({"Limit": 1000, "Offset": 0}, "FailedOperation.InvalidLimit"),
    ({"Limit": -1, "Offset": 0}, "InvalidParameterValue"),
    ({"Limit": 10, "Offset": -1}, "InvalidParameterValue"),
    ({"Limit": 10}, "MissingParameter"),
    ({"Offset": 0}, "MissingParameter"),
    ({"Limit": "ten", "Offset": 0}, "InvalidParameter"),
]


@pytest.mark.parametrize(("params", "code"), LIST_ERRORS)
def test_list_errors(call_api, params, code):
    create(call_api)
    assert call_api("ListEmailTemplates", params).code == code


# --- GetEmailTemplate and the status codes ------------------------------------------


def test_get_reply_shape(call_api):
    parts = content()
    template_id = create(call_api, name="发货通知 Order shipped", parts=parts)
    got = get(call_api, template_id)
    assert set(got) == GET_KEYS
    assert got["TemplateContent"] == parts
    assert got["TemplateName"] == "发货通知 Order shipped"
    assert got["TemplateStatus"] == 1


def test_good_template_is_pending(call_api):
    template_id = create(call_api)
    assert get(call_api, template_id)["TemplateStatus"] == 1
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert (meta["TemplateStatus"], meta["ReviewReason"]) == (1, "")
    assert not ReviewDecision.objects.exists()


def test_blocking_finding_rejects_at_once(call_api):
    template_id = create(call_api, parts={"Text": b64("Your parcel shipped.")})
    revision = EmailTemplate.objects.get(pk=template_id).latest
    assert revision.status == RevisionStatus.REJECTED
    assert revision.blocking_findings
    assert get(call_api, template_id)["TemplateStatus"] == 2
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert meta["TemplateStatus"] == 2
    decision = revision.last_decision
    assert decision.reviewer is None
    assert meta["ReviewReason"] == decision.reason
    assert [f["rule"] for f in revision.blocking_findings] == ["words.minimum"]
    assert (
        "The text has 3 words; transactional templates need at least 50." in (meta["ReviewReason"])
    )


def test_reviewer_rejection_reason_is_listed(call_api, reviewer):
    template_id = create(call_api)
    revision = EmailTemplate.objects.get(pk=template_id).latest
    workflow.decide(revision, reviewer, "rejected", "Say which shop sends these notices.")
    assert get(call_api, template_id)["TemplateStatus"] == 2
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert meta["ReviewReason"] == "Say which shop sends these notices."


def test_approved_template(call_api, reviewer):
    template_id = create(call_api)
    revision = EmailTemplate.objects.get(pk=template_id).latest
    workflow.decide(revision, reviewer, "approved", "Clear shipping notice.")
    assert get(call_api, template_id)["TemplateStatus"] == 0
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert (meta["TemplateStatus"], meta["ReviewReason"]) == (0, "Clear shipping notice.")


def test_draft_is_unavailable(call_api, account):
    """A console draft (never submitted) answers TemplateStatus 3: "anything else"."""
    template = workflow.create_template(
        account, "Console draft", Category.NOTIFICATION, html_of(), ""
    )
    assert get(call_api, template.pk)["TemplateStatus"] == 3


# --- UpdateEmailTemplate ------------------------------------------------------------


def test_update_of_an_approved_template_goes_back_to_review(call_api, reviewer):
    template_id = create(call_api)
    template = EmailTemplate.objects.get(pk=template_id)
    first = template.latest
    workflow.decide(first, reviewer, "approved")

    new_parts = content(80)
    response = ok(
        call_api(
            "UpdateEmailTemplate",
            {
                "TemplateID": template_id,
                "TemplateName": "Order on its way",
                "TemplateContent": new_parts,
            },
        )
    )
    assert set(response) == {"RequestId"}

    got = get(call_api, template_id)
    assert got["TemplateStatus"] == 1
    assert got["TemplateName"] == "Order on its way"
    assert got["TemplateContent"] == new_parts

    template.refresh_from_db()
    assert template.latest.number == 2
    assert template.latest.status == RevisionStatus.PENDING
    # The approved revision keeps sending until the new one is decided.
    assert template.approved_id == first.pk
    first.refresh_from_db()
    assert (first.name, first.status, first.html) == ("Order shipped", "approved", html_of())

    # CreatedTimestamp stays the template's creation, not the new revision's.
    created = datetime(2025, 3, 3, 9, 30, 15, 250000, tzinfo=UTC)
    EmailTemplate.objects.filter(pk=template_id).update(created_at=created)
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert (meta["TemplateName"], meta["TemplateStatus"]) == ("Order on its way", 1)
    assert meta["CreatedTimestamp"] == 1740994215


def test_update_of_a_rejected_template_clears_the_reason(call_api):
    template_id = create(call_api, parts={"Text": b64("Too short.")})
    assert listed(call_api)["TemplatesMetadata"][0]["ReviewReason"]
    ok(
        call_api(
            "UpdateEmailTemplate",
            {
                "TemplateID": template_id,
                "TemplateName": "Order shipped",
                "TemplateContent": content(),
            },
        )
    )
    (meta,) = listed(call_api)["TemplatesMetadata"]
    assert (meta["TemplateStatus"], meta["ReviewReason"]) == (1, "")
    assert EmailTemplate.objects.get(pk=template_id).revisions.count() == 2


def test_update_of_a_pending_template_changes_it_in_place(call_api):
    template_id = create(call_api)
    ok(
        call_api(
            "UpdateEmailTemplate",
            {"TemplateID": template_id, "TemplateName": "Renamed", "TemplateContent": content(90)},
        )
    )
    (revision,) = EmailTemplate.objects.get(pk=template_id).revisions.all()
    assert (revision.number, revision.name, revision.status) == (1, "Renamed", "pending")
    assert revision.text == text_of(90)


def test_update_to_blocked_content_is_rejected_at_once(call_api, reviewer):
    template_id = create(call_api)
    workflow.decide(EmailTemplate.objects.get(pk=template_id).latest, reviewer, "approved")
    ok(
        call_api(
            "UpdateEmailTemplate",
            {
                "TemplateID": template_id,
                "TemplateName": "Short",
                "TemplateContent": {"Text": b64("Shipped.")},
            },
        )
    )
    assert get(call_api, template_id)["TemplateStatus"] == 2
    template = EmailTemplate.objects.get(pk=template_id)
    assert template.approved.number == 1 and template.latest.number == 2


def test_update_keeps_the_category(call_api, account):
    template = workflow.create_template(
        account, "Console made", Category.NOTIFICATION, html_of(), "", submit=True
    )
    ok(
        call_api(
            "UpdateEmailTemplate",
            {"TemplateID": template.pk, "TemplateName": "Via API", "TemplateContent": content()},
        )
    )
    template.refresh_from_db()
    assert (template.latest.name, template.latest.category) == ("Via API", Category.NOTIFICATION)


# --- ListEmailTemplates -------------------------------------------------------------


def test_list_reply_shape_newest_first(call_api):
    ids = [create(call_api, name=f"Template {n}") for n in range(5)]
    response = listed(call_api)
    assert set(response) == {"TemplatesMetadata", "TotalCount", "RequestId"}
    assert response["TotalCount"] == 5
    metas = response["TemplatesMetadata"]
    assert all(set(meta) == META_KEYS for meta in metas)
    assert [meta["TemplateID"] for meta in metas] == ids[::-1]
    assert [meta["TemplateName"] for meta in metas] == [f"Template {n}" for n in range(4, -1, -1)]
    for meta in metas:
        template = EmailTemplate.objects.get(pk=meta["TemplateID"])
        assert meta["CreatedTimestamp"] == int(template.created_at.timestamp())
        assert isinstance(meta["CreatedTimestamp"], int)


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (2, 0, [4, 3]),
        (2, 1, [3, 2]),
        (2, 4, [0]),
        (10, 5, []),
        (100, 0, [4, 3, 2, 1, 0]),
        (0, 0, [4, 3, 2, 1, 0]),
        (0, 3, [1, 0]),
    ],
)
def test_list_pages(call_api, limit, offset, expected):
    ids = [create(call_api, name=f"Template {n}") for n in range(5)]
    response = listed(call_api, limit, offset)
    assert [meta["TemplateID"] for meta in response["TemplatesMetadata"]] == [
        ids[n] for n in expected
    ]
    assert response["TotalCount"] == 5


def test_list_mixes_statuses(call_api, reviewer):
    approved = create(call_api, name="Approved")
    rejected = create(call_api, name="Rejected", parts={"Text": b64("Shipped today.")})
    pending = create(call_api, name="Pending")
    workflow.decide(EmailTemplate.objects.get(pk=approved).latest, reviewer, "approved")
    metas = listed(call_api)["TemplatesMetadata"]
    assert [(m["TemplateID"], m["TemplateStatus"]) for m in metas] == [
        (pending, 1),
        (rejected, 2),
        (approved, 0),
    ]
    assert [bool(m["ReviewReason"]) for m in metas] == [False, True, False]


def test_empty_list(call_api):
    response = listed(call_api)
    assert set(response) == {"TemplatesMetadata", "TotalCount", "RequestId"}
    assert (response["TemplatesMetadata"], response["TotalCount"]) == ([], 0)


# --- DeleteEmailTemplate ------------------------------------------------------------


def test_delete(call_api, reviewer):
    keep = create(call_api, name="Keep")
    gone = create(call_api, name="Gone")
    workflow.decide(EmailTemplate.objects.get(pk=gone).latest, reviewer, "approved")
    ok(
        call_api(
            "UpdateEmailTemplate",
            {"TemplateID": gone, "TemplateName": "Gone v2", "TemplateContent": content(70)},
        )
    )
    response = ok(call_api("DeleteEmailTemplate", {"TemplateID": gone}))
    assert set(response) == {"RequestId"}
    assert not EmailTemplate.objects.filter(pk=gone).exists()
    assert not TemplateRevision.objects.filter(template_id=gone).exists()
    assert [m["TemplateID"] for m in listed(call_api)["TemplatesMetadata"]] == [keep]
    assert get(call_api, keep)["TemplateName"] == "Keep"


def test_template_without_revision_does_not_exist(call_api, account):
    """Only seen inside a deletion, which clears `latest` first; never an InternalError."""
    template_id = create(call_api)
    bare = EmailTemplate.objects.create(account=account)
    for action, extra in NOT_FOUND:
        reply = call_api(action, {"TemplateID": bare.pk, **extra})
        assert reply.code == "InvalidParameterValue.TemplateNotExist", action
    response = listed(call_api)
    assert [m["TemplateID"] for m in response["TemplatesMetadata"]] == [template_id]
    assert response["TotalCount"] == 1


# --- tenant isolation ---------------------------------------------------------------


def test_another_account_sees_no_template(call_api, other, reviewer):
    mine = create(call_api)
    workflow.decide(EmailTemplate.objects.get(pk=mine).latest, reviewer, "approved")
    rejected = create(call_api, name="Short", parts={"Text": b64("Shipped.")})
    before = snapshot()
    for template_id in (mine, rejected):
        for action, extra in NOT_FOUND:
            reply = other(action, {"TemplateID": template_id, **extra})
            assert reply.code == "InvalidParameterValue.TemplateNotExist", action
    response = ok(other("ListEmailTemplates", {"Limit": 0, "Offset": 0}))
    assert (response["TemplatesMetadata"], response["TotalCount"]) == ([], 0)
    assert snapshot() == before
    assert get(call_api, mine)["TemplateStatus"] == 0
    assert listed(call_api)["TotalCount"] == 2


def test_accounts_count_their_own_templates(call_api, other, account):
    account.max_templates = 1
    account.save()
    mine = create(call_api)
    theirs = ok(other("CreateEmailTemplate", {"TemplateName": "B", "TemplateContent": content()}))
    assert EmailTemplate.objects.get(pk=theirs["TemplateID"]).account == other.account
    assert [m["TemplateID"] for m in listed(call_api)["TemplatesMetadata"]] == [mine]
    listed_b = ok(other("ListEmailTemplates", {"Limit": 10, "Offset": 0}))
    assert [m["TemplateID"] for m in listed_b["TemplatesMetadata"]] == [theirs["TemplateID"]]
