"""The life of a template: drafts, submission, review decisions, notices.

An edit of a decided revision (approved or rejected) makes a new revision;
the last approved one keeps sending until the new one is decided. Every
refusal is an Refusal with the Tencent code; the console shows its message.
"""

import dataclasses

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account
from sesconsole.refusals import Refusal

from .content import check_content
from .duetime import due_time
from .models import EmailTemplate, ReviewDecision, RevisionStatus, TemplateRevision
from .variables import find_variables

MAX_NAME = 100


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Refusal("InvalidParameterValue.TemplateNameIsNULL", "The template name is empty.")
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise Refusal(
            "InvalidParameterValue.TemplateNameIllegal",
            f"A template name has at most {MAX_NAME} characters and no control characters.",
        )
    return name


def clean_content(html: str, text: str) -> tuple[str, str]:
    html, text = html or "", text or ""
    if not html.strip() and not text.strip():
        raise Refusal(
            "InvalidParameterValue.TemplateContentIsNULL",
            "A template needs an HTML part, a text part, or both.",
        )
    size, limit = len(html.encode()) + len(text.encode()), settings.SES_TEMPLATE_MAX_BYTES
    if size > limit:
        raise Refusal(
            "FailedOperation.TemplateContentToolarge",
            f"The template has {size} bytes; at most {limit} are allowed.",
        )
    return html, text


def _findings(category, html, text):
    return [dataclasses.asdict(f) for f in check_content(category, html, text)]


def _fill(revision, name, category, html, text, user):
    revision.name = clean_name(name)
    revision.category = category
    revision.html, revision.text = clean_content(html, text)
    revision.variables = find_variables(revision.html, revision.text)
    revision.findings = _findings(category, revision.html, revision.text)
    revision.created_by = user


@transaction.atomic
def create_template(account, name, category, html, text, user=None, submit=False):
    revision = TemplateRevision(number=1, status=RevisionStatus.DRAFT)
    _fill(revision, name, category, html, text, user)
    # Locks the account row so two concurrent creates cannot both pass the limit.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if account.email_templates.count() >= account.max_templates:
        raise Refusal(
            "FailedOperation.ExceedTemplateLimit",
            f"An account can have at most {account.max_templates} templates.",
        )
    template = EmailTemplate.objects.create(account=account)
    revision.template = template
    revision.save()
    template.latest = revision
    template.save(update_fields=["latest"])
    if submit:
        submit_revision(revision, auto_reject=True)
    return template


@transaction.atomic
def edit_template(template, name, category, html, text, user=None, submit=False):
    """Change a template: in place while a draft or pending, else as a new revision."""
    latest = TemplateRevision.objects.select_for_update().get(pk=template.latest_id)
    if latest.status in (RevisionStatus.DRAFT, RevisionStatus.PENDING):
        revision = latest
        revision.status = RevisionStatus.DRAFT
        revision.submitted_at = revision.due_at = None
    else:
        revision = TemplateRevision(
            template=template, number=latest.number + 1, status=RevisionStatus.DRAFT
        )
    _fill(revision, name, category, html, text, user)
    revision.save()
    template.latest = revision
    template.save(update_fields=["latest"])
    if submit:
        submit_revision(revision, auto_reject=True)
    return revision


def submit_revision(revision, auto_reject=False):
    """Send a draft to the reviewers.

    Blocking findings refuse the submission; for the API (auto_reject) they
    instead reject the revision at once, the automatic check being the reviewer.
    """
    if revision.status != RevisionStatus.DRAFT:
        raise Refusal("OperationDenied.TemplateStatusError", "Only a draft can be submitted.")
    now = timezone.now()
    blocked = [f for f in revision.findings if f["severity"] == "block"]
    if blocked and not auto_reject:
        raise Refusal(
            "InvalidParameterValue.TemplateContentIsWrong",
            "Fix these before submitting: " + " ".join(f["message"] for f in blocked),
        )
    revision.submitted_at = now
    revision.due_at = due_time(now)
    revision.status = RevisionStatus.PENDING
    revision.save(update_fields=["submitted_at", "due_at", "status"])
    if blocked:
        decide(revision, None, ReviewDecision.Outcome.REJECTED, _auto_reason(blocked))


def _auto_reason(blocked) -> str:
    return "Automatic content check: " + " ".join(f["message"] for f in blocked)


def can_review(user, revision) -> bool:
    """Reviewers review other accounts' templates only."""
    account = getattr(user, "account", None)
    return user.is_reviewer and (account is None or account.pk != revision.template.account_id)


@transaction.atomic
def decide(revision, reviewer, outcome, reason="", *, notify=True):
    reason = (reason or "").strip()
    if outcome == ReviewDecision.Outcome.REJECTED and not reason:
        raise Refusal("MissingParameter", "A rejection needs a reason.")
    # Claim: only a pending revision can be decided, and only once.
    claimed = TemplateRevision.objects.filter(pk=revision.pk, status=RevisionStatus.PENDING).update(
        status=outcome
    )
    if not claimed:
        raise Refusal("OperationDenied.TemplateStatusError", "This revision is not pending.")
    revision.status = outcome
    decision = ReviewDecision.objects.create(
        revision=revision, outcome=outcome, reason=reason, reviewer=reviewer
    )
    if outcome == ReviewDecision.Outcome.APPROVED:
        EmailTemplate.objects.filter(pk=revision.template_id).update(approved=revision)
    if notify:
        transaction.on_commit(lambda: notify_operators(decision))
    return decision


def notify_operators(decision):
    revision = decision.revision
    account = revision.template.account
    recipients = list(account.operators.values_list("email", flat=True))
    if not recipients:
        return
    subject = f'Template "{revision.name}" {decision.get_outcome_display().lower()}'
    body = render_to_string(
        "templates_app/email/decision.txt", {"decision": decision, "revision": revision}
    )
    send_mail(subject, body, None, recipients)


def pending_queue():
    """Pending revisions of all accounts, oldest submission first."""
    return (
        TemplateRevision.objects.filter(status=RevisionStatus.PENDING)
        .select_related("template__account")
        .order_by("submitted_at", "pk")
    )


def delete_template(template):
    with transaction.atomic():
        EmailTemplate.objects.filter(pk=template.pk).update(latest=None, approved=None)
        template.delete()
