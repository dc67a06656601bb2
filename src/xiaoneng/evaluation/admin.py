"""Admin for scoring standards (published versions read-only), periods and manual adjustments."""

from django.contrib import admin

from .models import Category, ManualAdjustment, Period, Score, ScoringRule, Standard


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("order", "code", "name", "weight")

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("name", "number", "status", "base", "published_at")
    inlines = [CategoryInline]
    actions = ["new_version"]

    def get_readonly_fields(self, request, obj=None):
        return ("name", "number", "status", "base", "published_at") if obj and obj.is_published else ("status",)

    @admin.action(description="以所选标准为基础新建版本（草稿）")
    def new_version(self, request, queryset):
        for std in queryset:
            Standard.new_version_from(std)


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "kind", "indicator", "source", "level", "points")
    list_filter = ("category__standard", "kind")

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.category.standard.is_published

    has_delete_permission = has_change_permission


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "start", "end", "standard")


@admin.register(ManualAdjustment)
class ManualAdjustmentAdmin(admin.ModelAdmin):
    list_display = ("department", "period", "category", "points", "reason", "by", "at")
    list_filter = ("period",)
    exclude = ("by",)

    def save_model(self, request, obj, form, change):
        if not obj.by_id:
            obj.by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("department", "period", "version", "total", "grade", "rank", "published")
    list_filter = ("period", "published")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
