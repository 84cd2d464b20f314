from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from .models import Account, ApiKey, Invitation, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "app_id", "is_active", "daily_quota", "reputation_level", "created_at"]
    list_filter = ["is_active", "reputation_level"]
    search_fields = ["name", "app_id"]
    readonly_fields = ["app_id", "created_at", "suspended_at", "suspension_lifted_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        # Lifting a suspension starts the bounce count afresh.
        if change and "sending_suspended" in form.changed_data:
            if obj.sending_suspended:
                obj.suspended_at = timezone.now()
            else:
                obj.suspension_lifted_at = timezone.now()
        super().save_model(request, obj, form, change)

    fieldsets = [
        (None, {"fields": ["name", "app_id", "is_active", "created_at"]}),
        (
            "Limits",
            {
                "fields": [
                    "daily_quota",
                    "send_rate_per_second",
                    "hourly_per_recipient",
                    "api_rate_per_second",
                    "reputation_level",
                    "max_sender_domains",
                    "max_sender_addresses",
                    "max_templates",
                ]
            },
        ),
        (
            "Sending",
            {
                "fields": [
                    "allow_custom_content",
                    "time_zone",
                    "sending_suspended",
                    "suspension_reason",
                    "suspended_at",
                    "suspension_lifted_at",
                ]
            },
        ),
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "is_reviewer", "is_staff", "is_active", "last_login"]
    list_filter = ["is_reviewer", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Roles",
            {"fields": ["is_active", "is_reviewer", "is_staff", "is_superuser", "groups"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["secret_id", "account", "description", "enabled", "created_at", "last_used_at"]
    list_filter = ["enabled"]
    search_fields = ["secret_id", "account__name", "description"]
    # The SecretKey itself is never shown here; only its owner saw it, once.
    fields = ["secret_id", "account", "description", "enabled", "created_at", "last_used_at"]
    readonly_fields = ["secret_id", "account", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "invited_by", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "account__name"]
    readonly_fields = ["account", "email", "invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request):
        return False
