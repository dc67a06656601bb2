"""Staff pages of the service catalogue (/staff/catalog/): the item list, an item's versions, Excel import with a
row report, export and the import template. Reading is limited to the departments the user may read; importing
and publishing to the departments they administer (部门管理员)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaoneng.org.models import Department
from xiaoneng.org.scoping import managed_department_ids, scope_by_department, visible_department_ids

from . import excel, services
from .models import Item, ItemType, ItemVersion, VersionStatus

REPORT_SESSION_KEY = "catalog_import_report"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("事项表（.xlsx）"))
    publish = forms.BooleanField(label=gettext_lazy("导入后发布通过校验的事项"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 Excel 工作簿（.xlsx）；.xls 和 .csv 请先另存为 .xlsx。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 5 MB，请分批导入。"))
        return upload


def can_import(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    ids = managed_department_ids(user)
    return ids is None or bool(ids)


def can_view_catalog(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    ids = visible_department_ids(user)
    return ids is None or bool(ids)


def _visible_items(user):
    return scope_by_department(Item.objects.select_related("department", "current_version"), user)


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def index(request):
    if not can_view_catalog(request.user):
        raise PermissionDenied
    items = _visible_items(request.user).order_by("department__code", "code")
    ids = visible_department_ids(request.user)
    departments = Department.objects.order_by("code") if ids is None else Department.objects.filter(id__in=ids)
    department = request.GET.get("department", "")
    if department.isdigit():
        items = items.filter(department_id=int(department))
    item_type = request.GET.get("type", "")
    if item_type:
        items = items.filter(item_type=item_type)
    q = request.GET.get("q", "").strip()
    if q:
        items = items.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(keywords__icontains=q))
    drafts = set(ItemVersion.objects.filter(item__in=items, status=VersionStatus.DRAFT).values_list("item_id", flat=True))
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "catalog/index.html", {
        "page": page, "departments": departments, "department": department, "q": q, "item_type": item_type,
        "item_types": ItemType.choices, "drafts": drafts, "can_import": can_import(request.user),
        "form": ImportForm(),
    })


@login_required
def item_detail(request, pk):
    item = get_object_or_404(_visible_items(request.user), pk=pk)
    versions = list(item.versions.order_by("-number"))
    number = request.GET.get("v", "")
    version = next((v for v in versions if str(v.number) == number), None) or item.current_version or (
        versions[0] if versions else None)
    problems = services.check(version) if version is not None and version.is_draft else []
    return render(request, "catalog/item_detail.html", {
        "item": item, "versions": versions, "version": version, "problems": problems,
        "steps": version.steps.select_related("department") if version else [],
        "can_manage": services.can_manage_department(request.user, item.department_id),
        "has_draft": any(v.is_draft for v in versions),
    })


def _managed_version(request, pk) -> ItemVersion:
    version = get_object_or_404(
        ItemVersion.objects.select_related("item").filter(item__in=_visible_items(request.user)), pk=pk)
    if not services.can_manage_department(request.user, version.item.department_id):
        raise PermissionDenied
    return version


@login_required
@require_POST
def version_publish(request, pk):
    version = _managed_version(request, pk)
    try:
        services.publish(version, request.user)
    except services.CatalogError as exc:
        messages.error(request, _("未能发布：%(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("已发布 v%(n)s，原现行版本已废止。") % {"n": version.number})
    return redirect(f"{reverse('catalog:item', args=[version.item_id])}?v={version.number}")


@login_required
@require_POST
def version_new_draft(request, pk):
    version = _managed_version(request, pk)
    try:
        draft = services.new_draft_from(version, request.user)
    except services.CatalogError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已新建草稿 v%(n)s，可通过 Excel 导入或管理后台编辑。") % {"n": draft.number})
    return redirect("catalog:item", pk=version.item_id)


@login_required
@require_POST
def version_discard(request, pk):
    version = _managed_version(request, pk)
    try:
        services.discard_draft(version, request.user)
    except services.CatalogError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除草稿 v%(n)s。") % {"n": version.number})
    return redirect("catalog:item", pk=version.item_id)


@login_required
def import_items(request):
    if not can_import(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("catalog:index")
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("catalog:index")
    try:
        report = excel.import_items(form.cleaned_data["file"], user=request.user,
                                    publish=form.cleaned_data["publish"])
    except excel.ExcelFormatError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:index")
    data = report.to_dict()
    data["file"] = form.cleaned_data["file"].name
    data["at"] = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    request.session[REPORT_SESSION_KEY] = data
    if report.rejected:
        messages.warning(request, report.summary())
    else:
        messages.success(request, report.summary())
    return redirect("catalog:import_report")


@login_required
def import_report(request):
    data = request.session.get(REPORT_SESSION_KEY)
    if not data:
        messages.info(request, _("还没有导入记录。"))
        return redirect("catalog:index")
    report = excel.ImportReport.from_dict(data)
    only = request.GET.get("only", "")
    rows = report.sorted_results()
    if only in (excel.REJECTED, excel.IMPORTED, excel.UNCHANGED):
        rows = [r for r in rows if r.status == only]
    return render(request, "catalog/import_report.html", {
        "report": report, "rows": rows, "only": only, "file": data.get("file", ""), "at": data.get("at", ""),
    })


@login_required
def import_report_download(request):
    data = request.session.get(REPORT_SESSION_KEY)
    if not data:
        return redirect("catalog:index")
    return _xlsx_response(excel.report_workbook(excel.ImportReport.from_dict(data)), "import-report.xlsx")


@login_required
def template_download(request):
    return _xlsx_response(excel.template_workbook(), "catalog-template.xlsx")


@login_required
def export(request):
    if not can_view_catalog(request.user):
        raise PermissionDenied
    items = excel.export_queryset(request.user, request.GET.get("department") or None)
    return _xlsx_response(excel.export_items(items), "catalog.xlsx")
