"""Judging each day of a warming-up sender domain: a step on, or a step back.

Run by beat (sending.evaluate_warmup) and before paused tasks resume, so a new
day's cap is set before its mail goes. A day is judged on the domain's mail of
that day (not to the simulator): its bounce rate (bounced of delivered and
bounced) and its complaint rate (spam reports of the same). Over either
threshold, the cap goes a step back; otherwise a step on. A day without mail is
a clean day: warm-up is about time as well as volume.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from domains import warmup
from domains.models import SenderDomain
from sending.models import Delivery, DeliveryStatus, Event, EventType


def _local_today(domain: SenderDomain, now: datetime) -> date:
    return timezone.localtime(now, domain.account.zone).date()


def day_rates(domain: SenderDomain, day: date) -> tuple[int, float, float]:
    """(mail finished, bounce rate, complaint rate) of the domain's mail created on `day`."""
    zone = domain.account.zone
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    mail = Delivery.objects.filter(
        account_id=domain.account_id,
        created_at__gte=start,
        created_at__lt=end,
        simulated=False,
        message__from_address__iendswith=f"@{domain.name}",
    )
    finished = mail.filter(status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.BOUNCED))
    total = finished.count()
    if not total:
        return 0, 0.0, 0.0
    bounced = finished.filter(status=DeliveryStatus.BOUNCED).count()
    complaints = (
        Event.objects.filter(delivery__in=mail, type=EventType.SPAMREPORT)
        .values("delivery")
        .distinct()
        .count()
    )
    return total, bounced / total, complaints / total


def evaluate(domain: SenderDomain, now: datetime | None = None) -> bool:
    """Judge the days since the domain was last judged; whether its step changed."""
    now = now or timezone.now()
    if domain.warmup_step is None:
        return False
    today = _local_today(domain, now)
    last = (
        domain.warmup_evaluated_on
        or timezone.localtime(domain.created_at, domain.account.zone).date()
    )
    if last >= today:
        return False
    before = domain.warmup_step
    step: int | None = domain.warmup_step
    # A domain judged long ago: its recent days decide (the schedule is short).
    day = max(last, today - timedelta(days=len(settings.SES_WARMUP_SCHEDULE) + 1))
    while day < today and step is not None:
        _, bounce, complaint = day_rates(domain, day)
        over = (
            bounce > settings.SES_WARMUP_MAX_BOUNCE_RATE
            or complaint > settings.SES_WARMUP_MAX_COMPLAINT_RATE
        )
        step = max(0, step - 1) if over else step + 1
        if step >= len(settings.SES_WARMUP_SCHEDULE):
            step = None
        day += timedelta(days=1)
    warmup.step_to(domain, step)
    domain.warmup_evaluated_on = today
    SenderDomain.objects.filter(pk=domain.pk).update(
        warmup_step=domain.warmup_step, warmup_evaluated_on=today
    )
    return domain.warmup_step != before


def evaluate_all(now: datetime | None = None) -> int:
    """Every warming-up domain not yet judged today; how many changed step."""
    now = now or timezone.now()
    domains = SenderDomain.objects.filter(warmup_step__isnull=False).select_related("account")
    return sum(evaluate(domain, now) for domain in domains.iterator())
