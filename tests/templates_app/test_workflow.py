"""The review workflow through the pages: draft, checks, submit, reject, resubmit, approve."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from templates_app.models import EmailTemplate, ReviewDecision, RevisionStatus
from tests.conftest import PASSWORD
from tests.templates_app.helpers import good_html, words
from tests.tenancy import assert_isolated


@pytest.fixture
def reviewer(db):
    return User.objects.create_user(
        email="rita@platform.example", password=PASSWORD, is_reviewer=True
    )


@pytest.fixture
def reviewer_client(client, reviewer):
    from django.test import Client

    c = Client()
    c.force_login(reviewer)
    return c


def create(client, submit=True, **fields):
    data = {"name": "Welcome", "category": "notification", "html": good_html(), "text": ""}
    data.update(fields)
    if submit:
        data["submit"] = "1"
    return client.post(reverse("templates:create"), data)


@pytest.mark.django_db
def test_the_whole_workflow(
    operator_client, reviewer_client, operator, account, django_capture_on_commit_callbacks
):
    # The operator creates and submits.
    response = create(operator_client)
    template = EmailTemplate.objects.get(account=account)
    assert response["Location"] == reverse("templates:detail", args=[template.pk])
    assert template.latest.status == RevisionStatus.PENDING
    assert template.latest.variables == ["name"]
    assert template.latest.due_at is not None

    # The reviewer sees it in the queue and rejects it with a reason.
    queue = reviewer_client.get(reverse("review:queue"))
    assert b"Welcome" in queue.content and b"acme" in queue.content
    revision = template.latest
    page = reviewer_client.get(reverse("review:revision", args=[revision.pk]))
    assert b"Automatic content checks" in page.content
    no_reason = reviewer_client.post(
        reverse("review:revision", args=[revision.pk]), {"outcome": "rejected", "reason": " "}
    )
    assert b"Say why the template is rejected" in no_reason.content
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            reverse("review:revision", args=[revision.pk]),
            {"outcome": "rejected", "reason": "Say what the account is for."},
        )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED
    assert mail.outbox[-1].to == [operator.email]
    assert "Say what the account is for." in mail.outbox[-1].body

    # The operator sees the red mark and the reason, edits and resubmits.
    detail = operator_client.get(reverse("templates:detail", args=[template.pk])).content.decode()
    assert "rejected-mark" in detail and "Say what the account is for." in detail
    listing = operator_client.get(reverse("templates:list")).content.decode()
    assert "rejected-mark" in listing
    operator_client.post(
        reverse("templates:edit", args=[template.pk]),
        {"name": "Welcome", "category": "notification", "html": good_html(70), "submit": "1"},
    )
    template.refresh_from_db()
    assert template.latest.number == 2 and template.latest.status == RevisionStatus.PENDING

    # The reviewer approves: the template can send.
    reviewer_client.post(
        reverse("review:revision", args=[template.latest.pk]), {"outcome": "approved"}
    )
    template.refresh_from_db()
    assert template.latest.status == RevisionStatus.APPROVED
    assert template.approved == template.latest
    decisions = ReviewDecision.objects.filter(revision__template=template).order_by("decided_at")
    assert [(d.outcome, d.reviewer.email, d.revision.number) for d in decisions] == [
        ("rejected", "rita@platform.example", 1),
        ("approved", "rita@platform.example", 2),
    ]
    assert (
        b"No template revisions are waiting" in reviewer_client.get(reverse("review:queue")).content
    )


@pytest.mark.django_db
def test_editing_an_approved_template_keeps_the_old_revision_sending(
    operator_client, reviewer, account
):
    from templates_app import workflow

    create(operator_client)
    template = EmailTemplate.objects.get(account=account)
    workflow.decide(template.latest, reviewer, "approved")
    first = template.latest
    operator_client.post(
        reverse("templates:edit", args=[template.pk]),
        {"name": "Welcome v2", "category": "notification", "html": good_html(80), "submit": "1"},
    )
    template.refresh_from_db()
    assert template.latest.number == 2 and template.latest.status == RevisionStatus.PENDING
    assert template.approved == first
    page = operator_client.get(reverse("templates:detail", args=[template.pk])).content.decode()
    assert "Revision 1 was approved and keeps sending until revision 2 is decided" in page
    # A rejection of the new revision still leaves revision 1 sending.
    workflow.decide(template.latest, reviewer, "rejected", "Too many links.")
    template.refresh_from_db()
    assert template.approved == first


@pytest.mark.django_db
def test_blocking_findings_keep_it_a_draft(operator_client, account):
    response = create(operator_client, html="<p>Hi {{name}}</p>", category="marketing")
    template = EmailTemplate.objects.get(account=account)
    assert template.latest.status == RevisionStatus.DRAFT
    page = operator_client.get(response["Location"]).content.decode()
    assert "Saved as a draft, not submitted" in page
    assert "words.minimum" in page and "Blocks" in page
    assert "Submit for review" not in page  # the button appears once the draft passes


@pytest.mark.django_db
def test_draft_then_submit_button(operator_client, account):
    create(operator_client, submit=False)
    template = EmailTemplate.objects.get(account=account)
    assert template.latest.status == RevisionStatus.DRAFT
    operator_client.post(reverse("templates:submit", args=[template.pk]))
    template.latest.refresh_from_db()
    assert template.latest.status == RevisionStatus.PENDING


@pytest.mark.django_db
def test_form_errors(operator_client, account, settings):
    empty = create(operator_client, html="", text="")
    assert b"needs an HTML part, a text part, or both" in empty.content
    settings.SES_TEMPLATE_MAX_BYTES = 100
    big = create(operator_client, html=good_html(200))
    assert b"at most 100 are allowed" in big.content
    assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_search_and_pagination(operator_client, account):
    from templates_app import workflow

    for i in range(23):
        workflow.create_template(account, f"Notice {i:02}", "trigger", "", words(5))
    workflow.create_template(account, "Receipt", "trigger", "", words(5))
    first = operator_client.get(reverse("templates:list"))
    assert b"Page 1 of 2" in first.content
    found = operator_client.get(reverse("templates:list"), {"q": "receipt"})
    assert b"Receipt" in found.content and b"Notice 01" not in found.content
    none = operator_client.get(reverse("templates:list"), {"q": "nothing"})
    assert b"No template matches" in none.content


@pytest.mark.django_db
def test_reviewer_cannot_review_own_account(reviewer_client, reviewer, operator_client, account):
    from accounts.models import Membership

    create(operator_client)
    revision = EmailTemplate.objects.get().latest
    Membership.objects.create(user=reviewer, account=account)
    assert b"Welcome" not in reviewer_client.get(reverse("review:queue")).content
    assert reviewer_client.get(reverse("review:revision", args=[revision.pk])).status_code == 404
    post = reviewer_client.post(
        reverse("review:revision", args=[revision.pk]), {"outcome": "approved"}
    )
    assert post.status_code == 404
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.PENDING


@pytest.mark.django_db
def test_queue_is_oldest_first_and_marks_overdue(reviewer_client, account):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from templates_app import workflow

    with time_machine.travel(timezone.now() - timedelta(days=10)):
        old = workflow.create_template(account, "Old one", "trigger", "", words(5), submit=True)
    new = workflow.create_template(account, "New one", "trigger", "", words(5), submit=True)
    page = reviewer_client.get(reverse("review:queue")).content.decode()
    assert page.index("Old one") < page.index("New one")
    assert page.count('data-testid="overdue"') == 1
    assert old.latest.due_at < timezone.now() < new.latest.due_at


@pytest.mark.django_db
def test_operators_and_reviewers_keep_to_their_pages(operator_client, reviewer_client, account):
    create(operator_client)
    revision = EmailTemplate.objects.get().latest
    assert operator_client.get(reverse("review:queue")).status_code == 403
    assert operator_client.get(reverse("review:revision", args=[revision.pk])).status_code == 403
    for url in [reverse("templates:list"), reverse("templates:create"), reverse("overview")]:
        assert reviewer_client.get(url).status_code == 403


@pytest.mark.django_db
def test_other_tenant_gets_404(client, operator_client, account, make_account, make_operator):
    create(operator_client)
    template = EmailTemplate.objects.get()
    client.force_login(make_operator(make_account("other"), "mallory@other.example"))
    assert_isolated(
        client,
        [
            ("get", reverse("templates:detail", args=[template.pk])),
            ("get", reverse("templates:edit", args=[template.pk])),
            ("post", reverse("templates:edit", args=[template.pk])),
            ("post", reverse("templates:submit", args=[template.pk])),
            ("get", reverse("templates:delete", args=[template.pk])),
            ("post", reverse("templates:delete", args=[template.pk])),
            ("get", reverse("templates:preview", args=[template.pk, 1])),
        ],
        unchanged=lambda: list(template.revisions.values()),
    )
    assert b"Welcome" not in client.get(reverse("templates:list")).content


@pytest.mark.django_db
def test_preview_is_sandboxed(operator_client, account):
    create(operator_client, html="<p onclick='x()'>Hi {{name}}</p><script>alert(1)</script>")
    template = EmailTemplate.objects.get()
    response = operator_client.get(reverse("templates:preview", args=[template.pk, 1]))
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"[name]" in response.content
    detail = operator_client.get(reverse("templates:detail", args=[template.pk])).content.decode()
    assert '<iframe class="border rounded w-100 bg-white" style="height: 28rem" sandbox ' in detail
