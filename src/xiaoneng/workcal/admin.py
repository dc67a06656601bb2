from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.admin import ReadOnlyAdmin

from .models import CalendarChange, CalendarDay, CalendarYear, DaySource, Reprojection
from .services import clear_override, set_override

_QUEUED = _("在办件的到期时间将在后台重新计算，进度见“日历变更重算”。")


class CalendarDayForm(forms.ModelForm):
    reason = forms.CharField(label=_("原因"), max_length=255, required=True)

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "region", "reason"]

    def clean(self):
        """Adding a day that already has a row (e.g. an official holiday) overrides that row."""
        data = super().clean()
        if self.instance.pk is None and data.get("date"):
            existing = CalendarDay.objects.filter(date=data["date"], region=data.get("region")).first()
            if existing is not None:
                self.instance = existing
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Every add/change is an override recorded with who and why (through the service, which notifies cases)."""

    form = CalendarDayForm
    list_display = ["date", "kind", "source", "region", "reason", "changed_by", "changed_at"]
    list_filter = ["kind", "source", "date"]
    search_fields = ["date", "reason", "region__name", "region__code"]
    date_hierarchy = "date"
    list_select_related = ["region", "changed_by"]
    actions = None  # no bulk delete: deletions go one by one through the service

    def get_readonly_fields(self, request, obj=None):
        return (
            ["date", "region", "source", "changed_by", "changed_at"]
            if obj
            else ["source", "changed_by", "changed_at"]
        )

    def save_model(self, request, obj, form, change):
        saved = set_override(obj.date, obj.kind, obj.reason, request.user, obj.region)
        obj.pk = saved.pk
        messages.info(request, _QUEUED)

    def delete_model(self, request, obj):
        if obj.source == DaySource.OFFICIAL:
            messages.error(request, _("国务院公布的日期不能删除，请添加人工调整。"))
            return
        clear_override(obj.date, _("管理后台删除调整"), request.user, obj.region)
        messages.info(request, _QUEUED)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.source == DaySource.OVERRIDE
        )


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "note", "confirmed_by", "confirmed_at"]
    readonly_fields = ["source", "confirmed_by", "confirmed_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CalendarChange)
class CalendarChangeAdmin(ReadOnlyAdmin):
    list_display = ["date", "region", "old_kind", "new_kind", "reason", "changed_by", "changed_at", "reprojected"]
    list_filter = ["new_kind"]
    search_fields = ["reason", "region__name"]
    list_select_related = ["region", "changed_by", "reprojection"]

    @admin.display(description=_("在办件重算"))
    def reprojected(self, obj):
        return obj.reprojection.progress if obj.reprojection_id else "-"


@admin.register(Reprojection)
class ReprojectionAdmin(ReadOnlyAdmin):
    """Whether the open cases already follow a calendar change: queued, running (n / total), done, failed."""

    list_display = ["created_at", "scope", "changed_dates", "progress", "started_at", "finished_at", "error"]
    list_filter = ["status"]

    @admin.display(description=_("适用区划"))
    def scope(self, obj):
        return obj.region_code or _("全国")

    @admin.display(description=_("变更日期"))
    def changed_dates(self, obj):
        more = len(obj.dates) - 5
        return "、".join(obj.dates[:5]) + (f" … (+{more})" if more > 0 else "")

    @admin.display(description=_("状态"))
    def progress(self, obj):
        return obj.progress

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
