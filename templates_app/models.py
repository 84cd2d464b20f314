from django.conf import settings
from django.db import models
from django.utils import timezone


class Category(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    NOTIFICATION = "notification", "Notification"
    TRANSACTIONAL = "transactional", "Transactional"
    TEST = "test", "Test"
    TRIGGER = "trigger", "Trigger-based"


# Templates created through the API carry no category: they are taken as
# transactional, the kind applications send (at least 50 words).
API_DEFAULT_CATEGORY = Category.TRANSACTIONAL


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class EmailTemplate(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="email_templates"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    latest = models.OneToOneField(
        "TemplateRevision", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved = models.OneToOneField(
        "TemplateRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The revision that sends: the last approved one",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.latest.name if self.latest else f"template {self.pk}"

    @property
    def status(self):
        return self.latest.status


class TemplateRevision(models.Model):
    template = models.ForeignKey(EmailTemplate, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    variables = models.JSONField(default=list)
    findings = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="revision_number_uniq")
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self):
        return f"{self.name} r{self.number}"

    @property
    def blocking_findings(self):
        return [f for f in self.findings if f["severity"] == "block"]

    @property
    def warnings(self):
        return [f for f in self.findings if f["severity"] != "block"]

    @property
    def last_decision(self):
        return self.decisions.order_by("-decided_at").first()


class ReviewDecision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    revision = models.ForeignKey(
        TemplateRevision, on_delete=models.CASCADE, related_name="decisions"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the automatic content check decided",
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self):
        return f"{self.outcome} {self.revision}"
