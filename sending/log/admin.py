"""Support staff's view of what happened to each message: messages, deliveries,
attempts and events."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from sending.models import Attempt, Delivery, Event, Message


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = (
        "recipient",
        "kind",
        "status",
        "send_status",
        "attempts",
        "next_attempt_at",
        "last_reply",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["message_id", "account", "from_address", "subject", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["message_id", "from_address", "account__name", "deliveries__recipient"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["type", "delivery", "created_at"]
    list_filter = ["type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Every try at a recipient's server: what support looks at when mail does not arrive."""

    list_display = ["created_at", "delivery", "outcome", "mx_host", "mx_ip", "tls_version", "code"]
    list_filter = ["outcome", "category"]
    search_fields = ["delivery__recipient", "mx_host", "delivery__message__message_id"]
    list_select_related = ["delivery"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
