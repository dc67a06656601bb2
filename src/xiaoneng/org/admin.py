"""Django admin for the organisation (Chinese). Staff who are not superusers see only their own departments' rows."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Hall, PostAssignment, Region, User, Window
from .scoping import own_department_ids


class DepartmentScopedAdmin(admin.ModelAdmin):
    """Limits the change list, the change forms and the department/user choices to the user's departments."""

    department_field = "department"

    def scoped_ids(self, request):
        return own_department_ids(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.scoped_ids(request)
        if ids is None:
            return qs
        return qs.filter(**{f"{self.department_field}__in": ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = self.scoped_ids(request)
        if ids is not None:
            if db_field.related_model is Department and db_field.name not in getattr(self, "unscoped_fks", ()):
                kwargs["queryset"] = Department.objects.filter(id__in=ids)
            elif db_field.related_model is User:
                kwargs["queryset"] = User.objects.filter(department_id__in=ids, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def scope_inline_foreignkeys(inline_cls):
    """The same restriction for inlines."""
    original = inline_cls.formfield_for_foreignkey

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = own_department_ids(request.user)
        if ids is not None:
            if db_field.related_model is Department and db_field.name not in getattr(self, "unscoped_fks", ()):
                kwargs["queryset"] = Department.objects.filter(id__in=ids)
            elif db_field.related_model is User:
                kwargs["queryset"] = User.objects.filter(department_id__in=ids, is_superuser=False)
        return original(self, db_field, request, **kwargs)

    inline_cls.formfield_for_foreignkey = formfield_for_foreignkey
    return inline_cls


class ScopedDepartmentFilter(admin.RelatedFieldListFilter):
    """A department list filter that offers only the user's own departments."""

    def field_choices(self, field, request, model_admin):
        ids = own_department_ids(request.user)
        qs = Department.objects.order_by("code")
        if ids is not None:
            qs = qs.filter(id__in=ids)
        return [(d.pk, str(d)) for d in qs]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


@admin.register(Department)
class DepartmentAdmin(DepartmentScopedAdmin):
    department_field = "id"
    list_display = ("code", "name", "short_name", "kind", "region", "is_active")
    list_filter = ("kind", "is_active", "region__level")
    search_fields = ("code", "name", "short_name")
    autocomplete_fields = ("region", "parent")
    unscoped_fks = ("parent",)


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    filter_horizontal = ("departments",)


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "region", "parent", "phone")
    list_filter = ("level",)
    search_fields = ("name", "region__name", "address")
    inlines = [WindowInline]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ("__str__", "hall", "name", "is_active")
    list_filter = ("hall", "is_active")
    search_fields = ("name", "number", "hall__name")
    filter_horizontal = ("departments",)


@scope_inline_foreignkeys
class PostAssignmentInline(admin.TabularInline):
    model = PostAssignment
    fk_name = "user"
    extra = 0
    fields = ("department", "post", "hall", "window", "substitute", "away_from", "away_until", "is_active")


@admin.register(User)
class UserAdmin(DepartmentScopedAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "department", "kind", "is_active", "is_staff", "last_login")
    list_filter = ("kind", "is_active", "is_staff", "is_superuser", ("department", ScopedDepartmentFilter))
    search_fields = ("username", "full_name", "phone", "email")
    ordering = ("department__code", "username")
    inlines = [PostAssignmentInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "kind", "department", "phone", "email", "credit_code")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "department", "password1", "password2")}),
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # below the superuser nobody hands out admin rights (逐级授权)
        return tuple((name, {**opts, "fields": tuple(f for f in opts["fields"]
                                                     if f not in ("is_staff", "is_superuser", "groups",
                                                                  "user_permissions"))})
                     for name, opts in fieldsets)


@admin.register(PostAssignment)
class PostAssignmentAdmin(DepartmentScopedAdmin):
    list_display = ("user", "department", "post", "hall", "window", "substitute", "away_from", "away_until",
                    "is_active")
    list_filter = ("post", "is_active", ("department", ScopedDepartmentFilter))
    search_fields = ("user__username", "user__full_name", "department__name")
    autocomplete_fields = ("user", "substitute")
    readonly_fields = ("granted_by", "granted_at")

    def get_autocomplete_fields(self, request):
        return self.autocomplete_fields if request.user.is_superuser else ()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
