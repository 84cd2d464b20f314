from django.db import migrations, models

CATEGORIES = {"mailbox", "policy", "full"}


def from_events(apps, schema_editor):
    """Bounced deliveries get the type and category their bounce event recorded."""
    Delivery = apps.get_model("sending", "Delivery")
    Event = apps.get_model("sending", "Event")
    bounces = (
        Event.objects.filter(type="bounce", delivery__status="bounced")
        .order_by("delivery_id", "created_at", "pk")
        .values_list("delivery_id", "detail")
    )
    last = {}
    for delivery_id, detail in bounces.iterator(chunk_size=2000):
        last[delivery_id] = detail or {}
        if len(last) >= 2000:
            _write(Delivery, last)
            last = {}
    _write(Delivery, last)


def _write(Delivery, last):
    groups = {}
    for delivery_id, detail in last.items():
        bounce_type = "hard" if detail.get("bounce_type") == "hard" else "soft"
        category = detail.get("category")
        category = category if category in CATEGORIES else "other"
        groups.setdefault((bounce_type, category), []).append(delivery_id)
    for (bounce_type, category), ids in groups.items():
        Delivery.objects.filter(pk__in=ids).update(
            bounce_type=bounce_type, bounce_category=category
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sending", "0002_delivery"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="bounce_category",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mailbox", "Bad mailbox"),
                    ("policy", "Policy or reputation"),
                    ("full", "Mailbox full"),
                    ("other", "Other"),
                ],
                max_length=7,
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="bounce_type",
            field=models.CharField(
                blank=True, choices=[("hard", "Hard"), ("soft", "Soft")], max_length=4
            ),
        ),
        migrations.RunPython(from_events, migrations.RunPython.noop),
    ]
