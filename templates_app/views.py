from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.access import operator_required, owned_or_404, reviewer_required
from sesconsole.confirm import confirm_delete
from sesconsole.refusals import Refusal

from . import workflow
from .forms import DecisionForm, TemplateForm
from .models import EmailTemplate, RevisionStatus, TemplateRevision
from .variables import render as render_template

# Template HTML is the customer's, untrusted: its preview may show styles and
# images but can run nothing, even when opened outside its sandboxed iframe.
PREVIEW_CSP = (
    "default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'; "
    "font-src data:; sandbox"
)


def _templates(request):
    return EmailTemplate.objects.filter(account=request.account).select_related(
        "latest", "approved"
    )


@operator_required
def template_list(request):
    query = request.GET.get("q", "").strip()
    templates = _templates(request)
    if query:
        templates = templates.filter(latest__name__icontains=query)
    page = Paginator(templates, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "templates_app/template_list.html",
        {"page": page, "query": query, "limit": request.account.max_templates},
    )


def _save(request, form, template=None):
    """Save the form as a draft, then submit it if asked; return the template."""
    data = form.cleaned_data
    fields = (data["name"], data["category"], data["html"], data["text"], request.user)
    with transaction.atomic():
        if template is None:
            template = workflow.create_template(request.account, *fields)
        else:
            workflow.edit_template(template, *fields)
    template.refresh_from_db()
    if "submit" in request.POST:
        try:
            with transaction.atomic():
                workflow.submit_revision(template.latest)
        except Refusal as error:
            messages.error(request, f"Saved as a draft, not submitted. {error.message}")
        else:
            messages.success(request, "Submitted for review.")
    else:
        messages.success(request, "Draft saved.")
    return template


@operator_required
def template_create(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = _save(request, form)
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            return redirect("templates:detail", template.pk)
    return render(request, "templates_app/template_form.html", {"form": form})


@operator_required
def template_edit(request, pk):
    template = owned_or_404(request, EmailTemplate, pk=pk)
    latest = template.latest
    initial = {"name": latest.name, "category": latest.category, "html": latest.html}
    initial["text"] = latest.text
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, template)
        except Refusal as error:
            form.add_error(None, error.message)
        else:
            return redirect("templates:detail", template.pk)
    return render(request, "templates_app/template_form.html", {"form": form, "template": template})


@operator_required
def template_detail(request, pk):
    template = owned_or_404(request, EmailTemplate, pk=pk)
    revisions = template.revisions.prefetch_related("decisions__reviewer")
    return render(
        request,
        "templates_app/template_detail.html",
        {"template": template, "latest": template.latest, "revisions": revisions},
    )


@require_POST
@operator_required
def template_submit(request, pk):
    template = owned_or_404(request, EmailTemplate, pk=pk)
    try:
        with transaction.atomic():
            workflow.submit_revision(template.latest)
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Submitted for review.")
    return redirect("templates:detail", template.pk)


@operator_required
def template_delete(request, pk):
    template = owned_or_404(request, EmailTemplate, pk=pk)
    return confirm_delete(
        request,
        "templates_app/template_delete.html",
        {"template": template},
        delete=lambda: workflow.delete_template(template),
        done=reverse("templates:list"),
        deleted=f"Template {template.latest.name} deleted.",
    )


def preview_response(revision):
    sample = {name: f"[{name}]" for name in revision.variables}
    html, text = render_template(revision.html, revision.text, sample)
    if not html.strip():
        html = f"<pre style='white-space: pre-wrap'>{escape(text)}</pre>"
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_sameorigin
@operator_required
def revision_preview(request, pk, number):
    template = owned_or_404(request, EmailTemplate, pk=pk)
    revision = get_object_or_404(template.revisions, number=number)
    return preview_response(revision)


# --- reviewers -----------------------------------------------------------------------


def _reviewable(request, pk):
    revision = get_object_or_404(
        TemplateRevision.objects.select_related("template__account"),
        pk=pk,
        status__in=[RevisionStatus.PENDING, RevisionStatus.APPROVED, RevisionStatus.REJECTED],
    )
    if not workflow.can_review(request.user, revision):
        raise Http404("No such revision.")
    return revision


@reviewer_required
def review_queue(request):
    own = getattr(request.user, "account", None)
    queue = workflow.pending_queue()
    if own is not None:
        queue = queue.exclude(template__account=own)
    page = Paginator(queue, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "templates_app/review_queue.html",
        {"page": page, "now": timezone.now()},
    )


@reviewer_required
def review_revision(request, pk):
    revision = _reviewable(request, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.decide(
                revision, request.user, form.cleaned_data["outcome"], form.cleaned_data["reason"]
            )
        except Refusal as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f'"{revision.name}" {form.cleaned_data["outcome"]}.')
            return redirect("review:queue")
    return render(
        request,
        "templates_app/review_revision.html",
        {"revision": revision, "form": form, "now": timezone.now()},
    )


@xframe_options_sameorigin
@reviewer_required
def review_preview(request, pk):
    return preview_response(_reviewable(request, pk))
