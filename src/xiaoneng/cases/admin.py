"""Read-only admin for cases: the event log is append-only and case state is derived (nothing is edited here)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Case, CaseEvent, CaseNumberCounter, CaseStep, ChainDigest


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    ordering = ("seq",)
    fields = ("seq", "type", "occurred_at", "received_at", "backfilled", "source_system", "event_id", "actor_name",
              "acting_for", "payload", "hash")
    readonly_fields = fields
    show_change_link = False


class CaseStepInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseStep
    extra = 0
    can_delete = False
    fields = ("order", "code", "name", "post", "department", "status", "started_at", "due", "completed_at",
              "actor_name", "outcome")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case_no", "item", "department", "applicant_name", "status", "clock_state", "submitted_at",
                    "promised_due", "source_system")
    list_filter = ("status", "clock_state", "channel", "department")
    search_fields = ("case_no",)
    list_select_related = ("item", "department")
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [CaseStepInline, CaseEventInline]
    # The encrypted fields are never shown; the masked ID number is.
    exclude = ("applicant_id_cipher", "applicant_phone_cipher")
    fieldsets = (
        (_("办件"), {"fields": ("case_no", "region_code", "department", "item", "item_version", "source_system",
                               "channel", "hall", "query_code")}),
        (_("申请人"), {"fields": ("applicant_type", "applicant_name", "applicant_id_masked", "applicant_user",
                                "agent")}),
        (_("状态"), {"fields": ("status", "result", "document_no", "submitted_at", "accepted_at", "decided_at",
                              "delivered_at", "closed_at")}),
        (_("计时"), {"fields": ("clock_state", "elapsed_seconds", "suspended_seconds", "extended_days",
                              "promised_due", "statutory_due", "calendar_confirmed", "next_check_at", "deadlines",
                              "clock")}),
        (_("存证"), {"fields": ("event_count", "last_hash")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "seq", "type", "occurred_at", "received_at", "backfilled", "source_system", "actor_name")
    list_filter = ("type", "backfilled", "source_system")
    search_fields = ("case__case_no", "event_id")
    list_select_related = ("case",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(ChainDigest)
class ChainDigestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("day", "event_count", "digest", "created_at")
    readonly_fields = ("day", "event_count", "digest", "created_at")


@admin.register(CaseNumberCounter)
class CaseNumberCounterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("region_code", "day", "last")
