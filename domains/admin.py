from django.contrib import admin

from .models import DkimKey, RecordCheck, SenderAddress, SenderDomain, SmtpAuthFailure


class DkimKeyInline(admin.TabularInline):
    model = DkimKey
    extra = 0
    can_delete = False
    # Metadata only: the private key never appears in the admin.
    readonly_fields = ("algorithm", "bits", "selector", "public_key", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class RecordCheckInline(admin.TabularInline):
    model = RecordCheck
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "type", "name", "status", "current_value", "detail", "checked_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SenderDomain)
class SenderDomainAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "status", "dkim_option", "last_checked_at", "created_at"]
    list_filter = ["status", "dkim_option"]
    search_fields = ["name", "account__name"]
    readonly_fields = [
        "account",
        "name",
        "dkim_option",
        "created_at",
        "pending_since",
        "verified_at",
        "last_checked_at",
        "check_state",
        "check_requested_at",
    ]
    fields = [*readonly_fields, "status", "status_reason", "tags"]
    inlines = [DkimKeyInline, RecordCheckInline]

    def has_add_permission(self, request):
        return False


@admin.register(SenderAddress)
class SenderAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "sender_name", "created_at"]
    search_fields = ["email", "account__name"]
    fields = ["email", "account", "domain", "sender_name", "created_at", "smtp_password_changed_at"]
    readonly_fields = ["email", "account", "domain", "created_at", "smtp_password_changed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SmtpAuthFailure)
class SmtpAuthFailureAdmin(admin.ModelAdmin):
    """Failed SMTP logins, those naming no sender address included (no tenant sees those)."""

    list_display = ["created_at", "username", "client_ip", "reason", "account"]
    list_filter = ["reason"]
    search_fields = ["username", "client_ip"]
    readonly_fields = ["account", "username", "client_ip", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
