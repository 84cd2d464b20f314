"""Support staff's view of the blocklists (imported by sending.admin).

Only staff lift a platform entry that another account's mail caused; the
entries are made by hard bounces, never by hand, so there is no add page.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from sending.models import CustomBlock, PlatformBlock


class ExpiredFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Blocking"), ("expired", "Expired")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PlatformBlock]
    ) -> QuerySet[PlatformBlock]:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(PlatformBlock)
class PlatformBlockAdmin(admin.ModelAdmin):
    list_display = ["email", "caused_by", "created_at", "expires_at", "short_reason"]
    list_filter = [ExpiredFilter]
    search_fields = ["email", "reason", "caused_by__name", "task_id"]
    date_hierarchy = "created_at"
    list_select_related = ["caused_by"]
    fields = ["email", "caused_by", "task_id", "reason", "created_at", "expires_at"]
    readonly_fields = ["email", "caused_by", "task_id", "reason", "created_at"]

    @admin.display(description="Reason")
    def short_reason(self, obj: PlatformBlock) -> str:
        return obj.reason[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CustomBlock)
class CustomBlockAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "created_at", "expires_on"]
    search_fields = ["email", "account__name"]
    list_select_related = ["account"]
    fields = ["email", "account", "created_at", "expires_on"]
    readonly_fields = ["email", "account", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
