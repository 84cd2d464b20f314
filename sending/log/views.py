"""The Message Log and the message page: every recipient, its status and its timeline."""

from datetime import datetime, time

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import OperatorRequest, operator_required, owned_or_404
from sending.log.forms import POLICY, LogFilterForm
from sending.models import Attempt, BounceCategory, Delivery, DeliveryStatus, Event, Message


@operator_required
def message_log(request: OperatorRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    deliveries = (
        Delivery.objects.filter(account=request.account)
        .select_related("message")
        .order_by("-created_at", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["day"]:
            zone = timezone.get_current_timezone()
            start = datetime.combine(data["day"], time.min, tzinfo=zone)
            end = datetime.combine(data["day"], time.max, tzinfo=zone)
            deliveries = deliveries.filter(created_at__range=(start, end))
        if data["recipient"]:
            deliveries = deliveries.filter(recipient__icontains=data["recipient"].strip())
        if data["status"] == POLICY:
            deliveries = policy_refusals(deliveries)
        elif data["status"]:
            deliveries = deliveries.filter(status=data["status"])
        if data["message_id"]:
            deliveries = deliveries.filter(message__message_id=data["message_id"].strip())
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sending/message_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def policy_refusals(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """The bounced Deliveries whose bounce was a policy or reputation refusal."""
    return deliveries.filter(status=DeliveryStatus.BOUNCED, bounce_category=BounceCategory.POLICY)


def timeline(delivery: Delivery) -> list[tuple[datetime, str, Attempt | Event]]:
    """(time, "attempt" | "event", row) for one delivery, oldest first."""
    entries: list[tuple[datetime, int, str, Attempt | Event]]
    entries = [(a.created_at, 0, "attempt", a) for a in delivery.attempts_made.all()]
    entries += [(e.created_at, 1, "event", e) for e in delivery.events.all()]
    return [(moment, kind, row) for moment, _, kind, row in sorted(entries, key=lambda e: e[:2])]


@operator_required
def message_detail(request: OperatorRequest, pk: int) -> HttpResponse:
    message = owned_or_404(request, Message, pk=pk)
    # A batch task's message has a Delivery per recipient of the list: a page at a time.
    page = Paginator(message.deliveries.order_by("kind", "pk"), 50).get_page(
        request.GET.get("page")
    )
    deliveries = list(
        Delivery.objects.filter(pk__in=[d.pk for d in page.object_list])
        .prefetch_related("events", "attempts_made")
        .order_by("kind", "pk")
    )
    for delivery in deliveries:
        delivery.timeline = timeline(delivery)  # type: ignore[attr-defined]  # for the template
    template = message.template_revision
    return render(
        request,
        "sending/message_detail.html",
        {
            "message": message,
            "deliveries": deliveries,
            "page": page,
            "task": getattr(message, "send_task", None) if message.personal else None,
            "revision": template,
            "attachments": message.attachments.only("filename", "content_type", "size"),
        },
    )
