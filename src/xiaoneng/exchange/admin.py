import json
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import keys, quarantine
from .models import ApiKey, ImportJob, QuarantinedEvent, QuarantineStatus, SourceSystem


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_supervisor", "region", "is_active", "created_at"]
    list_filter = ["is_active", "is_supervisor"]
    search_fields = ["code", "name"]
    filter_horizontal = ["departments"]
    inlines = [ApiKeyInline]
    actions = ["rotate_key", "revoke_keys"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "created_at"] if obj else ["created_at"]

    def response_add(self, request, obj, post_url_continue=None):
        key = keys.issue_key(obj)
        messages.warning(request, format_html(
            "{} <code>{}</code>", _("接口密钥（仅显示这一次，请立即妥善保存）："), key))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("轮换密钥（吊销旧密钥并签发新密钥）"))
    def rotate_key(self, request, queryset):
        for system in queryset:
            key = keys.rotate_key(system)
            messages.warning(request, format_html(
                "{}：{} <code>{}</code>", system.code, _("新密钥（仅显示这一次）"), key))

    @admin.action(description=_("吊销全部密钥"))
    def revoke_keys(self, request, queryset):
        total = sum(keys.revoke_keys(system) for system in queryset)
        messages.success(request, _("已吊销 %(n)d 个密钥") % {"n": total})


class QuarantineForm(forms.ModelForm):
    replay_now = forms.BooleanField(label=_("保存后立即重放"), required=False, initial=True)

    class Meta:
        model = QuarantinedEvent
        fields = ["raw"]


@admin.register(QuarantinedEvent)
class QuarantinedEventAdmin(admin.ModelAdmin):
    form = QuarantineForm
    list_display = ["id", "system", "source", "event_id", "case_no", "error_code", "error_field", "status",
                    "received_at"]
    list_filter = ["status", "error_code", "source", "system"]
    search_fields = ["event_id", "case_no", "error_message"]
    date_hierarchy = "received_at"
    list_select_related = ["system"]
    readonly_fields = ["system", "source", "event_id", "case_no", "error_code", "error_field", "error_message",
                       "received_at", "status", "history_display", "import_job", "import_row"]
    actions = ["replay_selected", "resolve_selected"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("重放记录"))
    def history_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.history, ensure_ascii=False, indent=1))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("replay_now"):
            self._report(request, quarantine.replay([obj.pk], user=request.user.get_username()))

    def _report(self, request, done):
        for row, outcome in done:
            if outcome.status == "rejected":
                messages.error(request, _("#%(id)s 重放仍被拒收：%(code)s %(msg)s") % {
                    "id": row.pk, "code": outcome.code, "msg": outcome.message})
            else:
                messages.success(request, _("#%(id)s 重放结果：%(status)s") % {
                    "id": row.pk, "status": outcome.status})

    @admin.action(description=_("重放所选事件"))
    def replay_selected(self, request, queryset):
        ids = list(queryset.exclude(status=QuarantineStatus.RESOLVED).values_list("pk", flat=True))
        self._report(request, quarantine.replay(ids, user=request.user.get_username()))

    @admin.action(description=_("标记为已处理（不重放）"))
    def resolve_selected(self, request, queryset):
        n = quarantine.resolve(queryset.values_list("pk", flat=True), user=request.user.get_username())
        messages.success(request, _("已标记 %(n)d 条") % {"n": n})


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("导入文件（.xlsx 或 .csv）"))
    system = forms.ModelChoiceField(SourceSystem.objects.filter(is_active=True), required=False,
                                    label=_("来源系统"), help_text=_("留空：作为本平台办件导入"))
    resume = forms.BooleanField(label=_("续传中断的导入"), required=False)
    background = forms.BooleanField(label=_("后台导入（大文件）"), required=False,
                                    help_text=_("由后台任务进程（xiaoneng worker）执行，完成后在导入任务列表查看结果和行报告"))


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "system", "status", "rows_total", "rows_imported", "rows_duplicate",
                    "rows_rejected", "started_at", "finished_at", "report_link"]
    list_filter = ["status"]
    change_list_template = "exchange/importjob_changelist.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("行报告"))
    def report_link(self, obj):
        if not obj.report:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:exchange_importjob_report", args=[obj.pk]),
                           _("下载"))

    def get_urls(self):
        extra = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="exchange_importjob_upload"),
            path("template/", self.admin_site.admin_view(self.template_view), name="exchange_importjob_template"),
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view),
                 name="exchange_importjob_report"),
        ]
        return extra + super().get_urls()

    def upload_view(self, request):
        if not request.user.has_perm("exchange.view_importjob") or not request.user.is_staff:
            raise PermissionDenied
        from .importer import ImportFailed, run_import

        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            if suffix not in (".xlsx", ".csv"):
                form.add_error("file", _("只支持 .xlsx 或 .csv 文件"))
            elif form.cleaned_data["background"]:
                from django.conf import settings

                from .tasks import run_import_task

                folder = Path(settings.MEDIA_ROOT) / "imports"
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(suffix=suffix, delete=False, dir=folder) as tmp:
                    for chunk in upload.chunks():
                        tmp.write(chunk)
                system = form.cleaned_data["system"]
                run_import_task.enqueue(tmp.name, system.pk if system else None, form.cleaned_data["resume"],
                                        upload.name, request.user.get_username())
                messages.success(request, _("已提交后台导入：%(name)s") % {"name": upload.name})
                return redirect("admin:exchange_importjob_changelist")
            else:
                with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as tmp:
                    for chunk in upload.chunks():
                        tmp.write(chunk)
                try:
                    job = run_import(Path(tmp.name), system=form.cleaned_data["system"],
                                     resume=form.cleaned_data["resume"], file_name=upload.name,
                                     user=request.user.get_username(), store_report=True,
                                     workers=1)  # a web worker does not fork; large files go to the background
                except ImportFailed as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, _("导入完成：%(ok)d 行导入，%(dup)d 行重复，%(bad)d 行拒收") % {
                        "ok": job.rows_imported, "dup": job.rows_duplicate, "bad": job.rows_rejected})
                    return redirect("admin:exchange_importjob_change", job.pk)
                finally:
                    Path(tmp.name).unlink(missing_ok=True)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": _("批量导入（二次入录）")}
        return render(request, "exchange/import_upload.html", context)

    def template_view(self, request):
        from .importer import template_workbook

        data = template_workbook()
        response = FileResponse(data, as_attachment=True, filename="xiaoneng-import-template.xlsx")
        return response

    def report_view(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        if not job.report:
            raise Http404
        return FileResponse(job.report.open("rb"), as_attachment=True, filename=Path(job.report.name).name)
