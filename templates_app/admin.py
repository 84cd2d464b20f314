from django.contrib import admin

from .models import EmailTemplate, ReviewDecision, TemplateRevision


class RevisionInline(admin.TabularInline):
    model = TemplateRevision
    extra = 0
    can_delete = False
    readonly_fields = ("number", "name", "category", "status", "submitted_at", "due_at")
    fields = readonly_fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["pk", "__str__", "account", "latest", "approved", "created_at"]
    search_fields = ["revisions__name", "account__name"]
    readonly_fields = ["account", "latest", "approved", "created_at"]
    inlines = [RevisionInline]

    def has_add_permission(self, request):
        return False


class DecisionInline(admin.TabularInline):
    model = ReviewDecision
    extra = 0
    can_delete = False
    readonly_fields = ("outcome", "reason", "reviewer", "decided_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TemplateRevision)
class TemplateRevisionAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "template", "status", "submitted_at", "due_at"]
    list_filter = ["status", "category"]
    search_fields = ["name", "template__account__name"]
    readonly_fields = [
        "template",
        "number",
        "name",
        "category",
        "html",
        "text",
        "variables",
        "findings",
        "status",
        "created_by",
        "submitted_at",
        "due_at",
    ]
    inlines = [DecisionInline]

    def has_add_permission(self, request):
        return False
