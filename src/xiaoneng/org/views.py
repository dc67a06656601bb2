"""Staff management (/staff/org/): a department administrator manages their own department's staff, accounts and
posts — and nothing else: every lookup goes through ``managed_users``/``managed_assignments``, so a row of another
department is a 404, never a 403 that would confirm it exists. Superusers manage all."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import PostAssignmentForm, StaffCreateForm, StaffEditForm
from .models import Department, PostAssignment, User, UserKind
from .scoping import managed_department_ids


def can_manage_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    ids = managed_department_ids(user)
    return ids is None or bool(ids)


def managed_departments(user) -> QuerySet[Department]:
    ids = managed_department_ids(user)
    qs = Department.objects.filter(is_active=True).order_by("code")
    return qs if ids is None else qs.filter(id__in=ids)


def managed_users(user) -> QuerySet[User]:
    """Staff accounts the user administers: staff of their managed departments (never a superuser)."""
    ids = managed_department_ids(user)
    qs = User.objects.filter(kind=UserKind.STAFF).select_related("department")
    if ids is None:
        return qs
    return qs.filter(department_id__in=ids, is_superuser=False)


def managed_assignments(user) -> QuerySet[PostAssignment]:
    """Post assignments in a managed department held by a managed user."""
    ids = managed_department_ids(user)
    qs = PostAssignment.objects.select_related("user", "department", "hall", "window", "substitute")
    if ids is None:
        return qs
    return qs.filter(department_id__in=ids, user__department_id__in=ids, user__is_superuser=False)


def _require_admin(request):
    if not can_manage_staff(request.user):
        raise PermissionDenied


def _substitutes(actor, exclude: User | None = None) -> QuerySet[User]:
    qs = managed_users(actor).filter(is_active=True).order_by("department__code", "username")
    return qs.exclude(pk=exclude.pk) if exclude else qs


@login_required
def staff_list(request):
    _require_admin(request)
    users = managed_users(request.user).prefetch_related(
        Prefetch("posts", PostAssignment.objects.filter(is_active=True).select_related("department"))
    ).order_by("department__code", "username")
    departments = managed_departments(request.user)
    department = request.GET.get("department", "")
    if department.isdigit():
        users = users.filter(department_id=int(department))
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__icontains=q))
    state = request.GET.get("state", "active")
    if state == "active":
        users = users.filter(is_active=True)
    elif state == "inactive":
        users = users.filter(is_active=False)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "org/staff_list.html", {
        "page": page, "departments": departments, "department": department, "q": q, "state": state,
    })


@login_required
def user_create(request):
    _require_admin(request)
    form = StaffCreateForm(request.POST or None, departments=managed_departments(request.user), actor=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("已创建账号 %(name)s。请为其分配岗位。") % {"name": user.username})
        return redirect("org:user_detail", pk=user.pk)
    return render(request, "org/user_form.html", {"form": form, "title": _("新建工作人员账号")})


@login_required
def user_detail(request, pk):
    _require_admin(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    assignments = managed_assignments(request.user).filter(user=target).order_by("-is_active", "department__code")
    substituting = managed_assignments(request.user).filter(substitute=target, is_active=True)
    return render(request, "org/user_detail.html", {
        "target": target, "assignments": assignments, "substituting": substituting,
    })


@login_required
def user_edit(request, pk):
    _require_admin(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    form = StaffEditForm(request.POST or None, instance=target, departments=managed_departments(request.user),
                         actor=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存 %(name)s 的信息。") % {"name": target.display_name})
        return redirect("org:user_detail", pk=target.pk)
    return render(request, "org/user_form.html", {"form": form, "target": target,
                                                  "title": _("编辑工作人员：%(name)s") % {"name": target.display_name}})


@login_required
@require_POST
def user_toggle_active(request, pk):
    _require_admin(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    if target.pk == request.user.pk:
        messages.error(request, _("不能停用自己的账号。"))
        return redirect("org:user_detail", pk=target.pk)
    target.is_active = not target.is_active
    target.save(update_fields=["is_active"])
    if target.is_active:
        messages.success(request, _("已启用账号 %(name)s。") % {"name": target.username})
    else:
        messages.success(request, _("已停用账号 %(name)s；其岗位不再生效。") % {"name": target.username})
    return redirect("org:user_detail", pk=target.pk)


@login_required
def user_password(request, pk):
    _require_admin(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    form = SetPasswordForm(target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已重置 %(name)s 的密码，请通知本人登录后修改。") % {"name": target.username})
        return redirect("org:user_detail", pk=target.pk)
    return render(request, "org/user_form.html", {"form": form, "target": target,
                                                  "title": _("重置密码：%(name)s") % {"name": target.username}})


@login_required
def post_create(request, pk):
    _require_admin(request)
    target = get_object_or_404(managed_users(request.user), pk=pk)
    form = PostAssignmentForm(
        request.POST or None, departments=managed_departments(request.user), actor=request.user, holder=target,
        substitutes=_substitutes(request.user, exclude=target), initial={"department": target.department_id},
    )
    if request.method == "POST" and form.is_valid():
        assignment = form.save(commit=False)
        assignment.user = target
        assignment.granted_by = request.user
        assignment.save()
        messages.success(request, _("已授予岗位：%(post)s。") % {"post": assignment.get_post_display()})
        return redirect("org:user_detail", pk=target.pk)
    return render(request, "org/post_form.html", {"form": form, "target": target, "title": _("分配岗位")})


@login_required
def post_edit(request, pk):
    _require_admin(request)
    assignment = get_object_or_404(managed_assignments(request.user), pk=pk)
    form = PostAssignmentForm(
        request.POST or None, instance=assignment, departments=managed_departments(request.user),
        actor=request.user, holder=assignment.user, substitutes=_substitutes(request.user, exclude=assignment.user),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存岗位设置。"))
        return redirect("org:user_detail", pk=assignment.user_id)
    return render(request, "org/post_form.html", {"form": form, "target": assignment.user,
                                                  "assignment": assignment, "title": _("岗位设置")})


@login_required
@require_POST
def post_toggle_active(request, pk):
    _require_admin(request)
    assignment = get_object_or_404(managed_assignments(request.user), pk=pk)
    assignment.is_active = not assignment.is_active
    assignment.save(update_fields=["is_active"])
    if assignment.is_active:
        messages.success(request, _("已恢复岗位：%(post)s。") % {"post": assignment.get_post_display()})
    else:
        messages.success(request, _("已撤销岗位：%(post)s。") % {"post": assignment.get_post_display()})
    return redirect("org:user_detail", pk=assignment.user_id)
