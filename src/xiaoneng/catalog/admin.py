"""Django admin for the service catalogue (Chinese): drafts are edited with their steps, fees and materials inline;
published versions are read-only; publishing goes through ``services.publish`` (validated). Staff who are not
superusers see only their own departments' items."""

from django.contrib import admin, messages
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.admin import DepartmentScopedAdmin, ScopedDepartmentFilter, scope_inline_foreignkeys
from xiaoneng.org.scoping import own_department_ids

from . import services
from .models import Fee, Item, ItemVersion, Material, Step, VersionStatus


class _VersionContentInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@scope_inline_foreignkeys
class StepInline(_VersionContentInline):
    model = Step
    fields = ("order", "code", "name", "post", "days", "department", "parallel_group")
    unscoped_fks = ("department",)  # a co-department (协办部门) is by definition another department


class FeeInline(_VersionContentInline):
    model = Fee
    fields = ("code", "name", "amount", "basis")


class MaterialInline(_VersionContentInline):
    model = Material
    fields = ("order", "name", "form", "copies", "required", "note", "blank_form")


class ItemVersionInline(admin.TabularInline):
    model = ItemVersion
    extra = 0
    fields = ("number", "status", "handling_type", "statutory_days", "promised_days", "published_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(DepartmentScopedAdmin):
    list_display = ("code", "name", "item_type", "department", "current_version", "is_active")
    list_filter = ("item_type", "is_active", ("department", ScopedDepartmentFilter))
    search_fields = ("code", "name", "keywords")
    readonly_fields = ("current_version",)
    inlines = [ItemVersionInline]

    def get_readonly_fields(self, request, obj=None):
        return ("code", "current_version") if obj else ("current_version",)


def _next_number(item) -> int:
    return (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1


@admin.register(ItemVersion)
class ItemVersionAdmin(DepartmentScopedAdmin):
    department_field = "item__department"
    unscoped_fks = ("report_to",)
    list_display = ("item", "number", "status", "handling_type", "statutory_days", "promised_days", "published_at")
    list_filter = ("status", "handling_type", "limit_unit", "item__item_type", ("item__department", ScopedDepartmentFilter))
    search_fields = ("item__code", "item__name")
    list_select_related = ("item",)
    inlines = [StepInline, FeeInline, MaterialInline]
    actions = ["publish_selected", "new_drafts"]
    fieldsets = (
        (None, {"fields": ("item", "number", "status", "handling_type", "report_to", "effective_from")}),
        (_("时限"), {"fields": ("limit_unit", "statutory_days", "promised_days", "max_extension_days")}),
        (_("办事指南"), {"fields": ("legal_basis", "conditions", "procedure", "location", "office_hours",
                                "consult_phone", "complaint_phone", "visits_required", "online",
                                "separation_required")}),
        (_("发布"), {"fields": ("published_at", "published_by")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return [f.name for f in ItemVersion._meta.fields if f.name != "id"]
        if obj is not None:
            return ("item", "number", "status", "published_at", "published_by")
        return ("number", "status", "published_at", "published_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item":
            ids = own_department_ids(request.user)
            qs = Item.objects.order_by("code")
            kwargs["queryset"] = qs if ids is None else qs.filter(department_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change and ItemVersion.objects.filter(pk=obj.pk).exclude(status=VersionStatus.DRAFT).exists():
            self.message_user(request, _("已发布的版本不可修改；请使用“基于所选版本新建草稿”。"), messages.WARNING)
            return
        if not change:
            obj.number = _next_number(obj.item)
            obj.status = VersionStatus.DRAFT
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change and form.instance.status != VersionStatus.DRAFT:
            return
        super().save_related(request, form, formsets, change)

    @admin.action(description=_("发布所选草稿（校验后发布，原现行版本废止）"))
    def publish_selected(self, request, queryset):
        for version in queryset.select_related("item"):
            if version.status != VersionStatus.DRAFT:
                continue
            try:
                services.publish(version, request.user)
            except services.CatalogError as exc:
                self.message_user(request, f"{version}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{version}：已发布。", messages.SUCCESS)

    @admin.action(description=_("基于所选版本新建草稿"))
    def new_drafts(self, request, queryset):
        for version in queryset.select_related("item"):
            try:
                draft = services.new_draft_from(version, request.user)
            except services.CatalogError as exc:
                self.message_user(request, f"{version}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"已新建草稿：{draft}", messages.SUCCESS)
