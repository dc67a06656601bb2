from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.admin import ReadOnlyAdmin

from .models import (
    Accountability,
    Alert,
    AlertTransition,
    Notification,
    OutboundMessage,
    RuleConfig,
    RuleOverride,
    SupervisionOrder,
)


class RuleOverrideInline(admin.TabularInline):
    model = RuleOverride
    extra = 0
    autocomplete_fields = ()
    raw_id_fields = ("department", "item")


@admin.register(RuleConfig)
class RuleConfigAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "default_level", "enabled", "issue_mode", "updated_at")
    list_filter = ("kind", "enabled", "issue_mode")
    list_editable = ("enabled", "issue_mode")
    readonly_fields = ("code", "kind", "subject_type", "updated_at")
    inlines = [RuleOverrideInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject_type", "subject_no", "department", "rule", "level", "status", "due_at",
                    "raised_at")
    list_filter = ("status", "level", "rule", "subject_type")
    search_fields = ("subject_no",)
    date_hierarchy = "raised_at"


@admin.register(AlertTransition)
class AlertTransitionAdmin(ReadOnlyAdmin):
    list_display = ("at", "alert", "order", "action", "from_status", "to_status", "actor")
    list_filter = ("action",)


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_no", "department", "status", "reply_due", "issued_at", "replied_at", "closed_at")
    list_filter = ("status",)
    search_fields = ("order_no",)


@admin.register(Accountability)
class AccountabilityAdmin(ReadOnlyAdmin):
    list_display = ("order", "person_name", "step", "measure", "recorded_at")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "title", "read_at")


@admin.action(description=_("重新发送所选消息"))
def retry_messages(modeladmin, request, queryset):
    from .notify import retry

    n = retry(queryset)
    modeladmin.message_user(request, _("已重新排队 %(n)d 条消息") % {"n": n}, messages.SUCCESS)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "address", "subject", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("address", "subject")
    actions = [retry_messages]
