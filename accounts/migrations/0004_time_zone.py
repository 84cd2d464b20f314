import accounts.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_send_rate_paces"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="time_zone",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="Where the account's day starts (daily quota, paused batch tasks); empty: the service's TIME_ZONE",
                max_length=64,
                validators=[accounts.models.validate_time_zone],
            ),
        ),
    ]
