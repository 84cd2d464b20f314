from django.db import migrations, models

# Tencent's SendStatus codes, as stored until now, and the names stored from here on;
# the API maps them back (sending.log.api).
CODES = {
    "0": "accepted",
    "1006": "frequency_limit",
    "1007": "blocklisted",
    "1010": "daily_limit",
    "1013": "unsubscribed",
    "3030": "bounce_rate",
}


def codes_to_names(apps, schema_editor):
    Delivery = apps.get_model("sending", "Delivery")
    for code, name in CODES.items():
        Delivery.objects.filter(send_status=code).update(send_status=name)


def names_to_codes(apps, schema_editor):
    Delivery = apps.get_model("sending", "Delivery")
    for code, name in CODES.items():
        Delivery.objects.filter(send_status=name).update(send_status=code)


class Migration(migrations.Migration):
    dependencies = [
        ("sending", "0003_delivery_bounce_type"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attempt",
            name="category",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mailbox", "Bad mailbox"),
                    ("policy", "Policy or reputation"),
                    ("full", "Mailbox full"),
                    ("other", "Other"),
                    ("connection", "Connection"),
                    ("tls", "TLS"),
                    ("auth", "Authentication"),
                    ("build", "Message not built"),
                ],
                max_length=12,
            ),
        ),
        # Text first (the old codes become "0", "1007", ...), then their names.
        migrations.AlterField(
            model_name="delivery",
            name="send_status",
            field=models.CharField(default="0", max_length=16),
        ),
        migrations.RunPython(codes_to_names, names_to_codes),
        migrations.AlterField(
            model_name="delivery",
            name="send_status",
            field=models.CharField(
                choices=[
                    ("accepted", "Accepted"),
                    ("frequency_limit", "Too many mails to this address"),
                    ("blocklisted", "Address in a blocklist"),
                    ("daily_limit", "Daily quota exceeded"),
                    ("unsubscribed", "Recipient unsubscribed"),
                    ("bounce_rate", "Sending suspended: bounce rate too high"),
                ],
                default="accepted",
                max_length=16,
            ),
        ),
    ]
