from django.db import models


class RateWindow(models.Model):
    """A fixed-window counter for rate limits when no Redis is configured.

    With REDIS_URL set the counters live in Redis instead (see ratelimit.py).
    """

    name = models.CharField(max_length=200)
    started = models.BigIntegerField(help_text="Start of the window, unix seconds")
    expires = models.BigIntegerField(help_text="End of the window, unix seconds")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "started"], name="ratewindow_name_started_uniq")
        ]
        indexes = [models.Index(fields=["expires"])]

    def __str__(self) -> str:
        return f"{self.name}@{self.started}={self.count}"


class PaceCursor(models.Model):
    """When a paced stream's next unit may go (ratelimit.schedule), without Redis."""

    name = models.CharField(max_length=200, unique=True)
    next_at = models.BigIntegerField(help_text="Unix time in microseconds")

    def __str__(self) -> str:
        return f"{self.name}@{self.next_at}"
