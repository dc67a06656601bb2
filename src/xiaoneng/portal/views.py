"""Public portal views: guides, accounts, online application, my applications, progress query, disclosure.

Access rules: an applicant sees only the cases and files of their own account (``applicant_user``) or, for a
village agent, the cases they submitted (``agent``); anything else is a 404, indistinguishable from a case
that does not exist. Uploaded files are served only by :func:`download` (MEDIA_ROOT has no URL).
"""

from __future__ import annotations

import hmac
from datetime import date

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from xiaoneng.cases.models import Case, CaseStatus, EventType
from xiaoneng.catalog.models import ItemType, Material
from xiaoneng.core import crypto
from xiaoneng.org.models import Department, UserKind
from xiaoneng.org.scoping import acting_posts

from . import conf, selectors, services, uploads
from .forms import ApplicationForm, LoginForm, QueryForm, SignupForm
from .models import Application, ApplicationFile, ApplicationStatus, FilePurpose

PAGE_SIZE = 20


# --- home and guides ------------------------------------------------------------------------------------------


def home(request):
    return render(request, "portal/home.html", {"facets": selectors.facets()})


def guide_list(request, *, online_only: bool = False):
    q = request.GET.get("q", "")[:100]
    department = request.GET.get("dept", "")[:32]
    item_type = request.GET.get("type", "")[:2]
    life_event = request.GET.get("event", "")[:64]
    qs = selectors.search_items(q, department=department, item_type=item_type, life_event=life_event)
    if online_only:
        qs = qs.filter(current_version__online=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "portal/guide_list.html", {
        "page": page, "q": q, "dept": department, "type": item_type, "event": life_event,
        "facets": selectors.facets(), "query_string": params.urlencode(), "online_only": online_only,
        "terms": selectors.search_terms(q),
    })


def apply_index(request):
    return guide_list(request, online_only=True)


def guide_detail(request, code: str):
    item = selectors.guide(code)
    if item is None:
        raise Http404
    version = item.current_version
    return render(request, "portal/guide_detail.html", {
        "item": item, "v": version, "item_type": ItemType(item.item_type).label,
        "materials": list(version.materials.all()), "steps": list(version.steps.all()),
        "fees": list(version.fees.all()), "speedup_pct": round(version.speedup * 100),
        "department_phone": item.department.phone,
    })


def blank_form(request, code: str, material_id: int):
    """A material's blank form (空白表格) of a published guide; path checked to stay inside MEDIA_ROOT."""
    item = selectors.guide(code)
    if item is None:
        raise Http404
    material = get_object_or_404(Material, pk=material_id, version=item.current_version)
    if not material.blank_form:
        raise Http404
    path = uploads.resolve(material.blank_form.name)
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)


# --- accounts -------------------------------------------------------------------------------------------------


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:my")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = d["applicant_type"] == "person"
        user = services.register_applicant(
            applicant_type=d["applicant_type"], phone=d["phone"], name=d["name"], password=d["password1"],
            id_no=d["id_no"] if person else "", credit_code="" if person else d["credit_code"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("注册成功。"))
        return redirect(_safe_next(request, reverse("portal:account")))
    return render(request, "portal/signup.html", {"form": form, "next": _safe_next(request, "")})


@never_cache
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        # authenticate() with the request, so that django-axes counts failures and locks out guessing.
        user = authenticate(request, username=form.cleaned_data["phone"], password=form.cleaned_data["password"])
        if user is not None and user.is_active:
            login(request, user)
            default = reverse("portal:my") if services.can_apply(user) else reverse("portal:home")
            return redirect(_safe_next(request, default))
        if getattr(request, "axes_locked_out", False):
            return render(request, "core/locked_out.html", status=429)
        error = _("手机号码或密码不正确。")
    return render(request, "portal/login.html", {"form": form, "error": error, "next": _safe_next(request, "")})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:home")


@login_required(login_url="portal:login")
def account(request):
    return render(request, "portal/account.html", {"profile": services.profile_of(request.user),
                                                   "is_agent": services.is_village_agent(request.user)})


# --- online application ---------------------------------------------------------------------------------------


def _require_applicant(request):
    if not services.can_apply(request.user):
        return render(request, "portal/not_applicant.html", status=403)
    return None


def _material_uploads(request, version) -> list[services.Upload]:
    out = []
    for material in version.materials.all():
        for f in request.FILES.getlist(f"m_{material.pk}"):
            out.append(services.Upload(f, material.name, material, FilePurpose.APPLICATION))
    return out


def _initial(app: Application) -> dict:
    phone = crypto.decrypt(app.contact_phone_cipher)
    id_no = crypto.decrypt(app.id_no_cipher)
    return {"applicant_type": app.applicant_type, "applicant_name": app.applicant_name, "id_no": id_no,
            "contact_name": app.contact_name, "contact_phone": phone, "address": app.address,
            "description": app.description}


@login_required(login_url="portal:login")
@never_cache
def apply(request, item_code: str):
    if (denied := _require_applicant(request)) is not None:
        return denied
    item = services.applicable_item(item_code)
    if item is None:
        raise Http404
    app = None
    if not services.is_village_agent(request.user):  # an applicant resumes their draft of the item
        app = (Application.objects.filter(user=request.user, item=item, status=ApplicationStatus.DRAFT)
               .order_by("-updated_at").first())
    if app is not None:
        return redirect("portal:draft", token=app.token)
    app = services.new_application(request.user, item)
    return _application_form(request, app)


@login_required(login_url="portal:login")
@never_cache
def draft(request, token: str):
    if (denied := _require_applicant(request)) is not None:
        return denied
    app = get_object_or_404(Application.objects.select_related("item", "version", "item__department"),
                            token=token, user=request.user, status=ApplicationStatus.DRAFT)
    return _application_form(request, app)


def _application_form(request, app: Application):
    version = app.version
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form = ApplicationForm(request.POST, for_submit=action == "submit")
        if form.is_valid():
            if app.version_id != app.item.current_version_id and app.pk is None:
                app.version = app.item.current_version
            services.save_fields(app, form.cleaned_data)
            _stored, errors = services.add_files(app, _material_uploads(request, version))
            if action == "submit" and not errors:
                try:
                    case = services.submit(app, request.user)
                except services.PortalError as exc:
                    errors.append(str(exc))
                else:
                    messages.success(request, _("申请已提交，办件编号 %(no)s。受理部门将在5个工作日内作出受理、"
                                                "不予受理或一次性补正告知。") % {"no": case.case_no})
                    return redirect("portal:my_case", case_no=case.case_no)
            if not errors and action != "submit":
                messages.success(request, _("草稿已保存。"))
            if not errors:
                return redirect("portal:draft", token=app.token)
        else:
            errors.append(_("请检查下面标出的内容。"))
    else:
        form = ApplicationForm(initial=_initial(app))
    files = list(app.files.all()) if app.pk else []
    materials = [{"m": m, "files": [f for f in files if f.material_id == m.pk]} for m in version.materials.all()]
    return render(request, "portal/apply.html", {
        "app": app, "item": app.item, "v": version, "form": form, "materials": materials, "errors": errors,
        "accept": uploads.ACCEPT_ATTR, "max_mb": conf.get("XN_PORTAL_MAX_FILE_BYTES") // (1024 * 1024),
        "max_files": conf.get("XN_PORTAL_MAX_FILES"), "on_behalf": app.on_behalf,
    }, status=400 if errors and request.method == "POST" else 200)


@login_required(login_url="portal:login")
@require_POST
def delete_file(request, token: str):
    file = get_object_or_404(ApplicationFile.objects.select_related("application"), token=token,
                             application__user=request.user, application__status=ApplicationStatus.DRAFT)
    app = file.application
    services.delete_file(file)
    messages.success(request, _("已删除文件。"))
    return redirect("portal:draft", token=app.token)


@login_required(login_url="portal:login")
@require_POST
def discard_draft(request, token: str):
    app = get_object_or_404(Application, token=token, user=request.user, status=ApplicationStatus.DRAFT)
    for f in list(app.files.all()):
        services.delete_file(f)
    app.delete()
    messages.success(request, _("草稿已删除。"))
    return redirect("portal:my")


# --- my applications ------------------------------------------------------------------------------------------


def _own_cases(user):
    return Case.objects.filter(Q(applicant_user=user) | Q(agent=user))


@login_required(login_url="portal:login")
def my(request):
    drafts = (Application.objects.filter(user=request.user, status=ApplicationStatus.DRAFT)
              .select_related("item").order_by("-updated_at"))
    cases = Paginator(_own_cases(request.user).select_related("item", "department")
                      .order_by("-submitted_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/my_list.html", {"drafts": drafts, "page": cases})


@login_required(login_url="portal:login")
@never_cache
def my_case(request, case_no: str):
    case = get_object_or_404(_own_cases(request.user).select_related("item", "department", "item_version"),
                             case_no=case_no)
    app = Application.objects.filter(case=case).first()
    notice = services.open_correction(case)
    errors: list[str] = []
    if request.method == "POST":
        if app is None or notice is None:
            raise Http404
        materials = [str(m) for m in (notice.payload or {}).get("materials", [])]
        ups = []
        for i, name in enumerate(materials):
            for f in request.FILES.getlist(f"c_{i}"):
                ups.append(services.Upload(f, name, None, FilePurpose.CORRECTION))
        _stored, errors = services.add_files(app, ups)
        if not errors and request.POST.get("action") == "complete":
            try:
                services.complete_correction(app, request.user)
            except services.PortalError as exc:
                errors.append(str(exc))
            else:
                messages.success(request, _("补正材料已提交，办件恢复办理。"))
                return redirect("portal:my_case", case_no=case.case_no)
        if not errors:
            messages.success(request, _("补正材料已上传。全部上传后请点击“提交补正”。"))
            return redirect("portal:my_case", case_no=case.case_no)
    events = list(case.events.order_by("occurred_at", "seq").only("type", "occurred_at", "payload"))
    last = {e.type: e for e in events}
    correction = services.latest_correction(case) if notice is None else notice
    corr_files = services.correction_uploads(app, correction) if (app and correction) else {}
    files = list(app.files.all()) if app else []
    return render(request, "portal/my_case.html", {
        "case": case, "app": app, "p": selectors.progress(case), "notice": notice, "correction": correction,
        "corr_files": corr_files, "files": files, "errors": errors,
        "rejected": last.get(EventType.REJECTED), "decided": last.get(EventType.DECIDED),
        "delivered": last.get(EventType.DELIVERED), "timeline": events,
        "accept": uploads.ACCEPT_ATTR, "statuses": CaseStatus,
    }, status=400 if errors else 200)


# --- files ----------------------------------------------------------------------------------------------------


def _may_read_file(user, file: ApplicationFile) -> bool:
    if not user.is_authenticated:
        return False
    app = file.application
    if app.user_id == user.pk:
        return True
    case = app.case
    if case is None:
        return False
    if case.applicant_user_id == user.pk or case.agent_id == user.pk:
        return True
    if user.kind == UserKind.STAFF:
        return user.is_superuser or bool(acting_posts(user, case.department_id))
    return False


@never_cache
def download(request, token: str):
    file = ApplicationFile.objects.select_related("application", "application__case").filter(token=token).first()
    if file is None or not _may_read_file(request.user, file):
        raise Http404
    path = uploads.resolve(file.path)
    if path is None:
        raise Http404
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=file.original_name,
                            content_type=uploads.CONTENT_TYPES.get(file.kind, "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    return response


# --- progress query -------------------------------------------------------------------------------------------

_DUMMY_CODE = "X" * 8


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _query_key(request) -> str:
    return f"xn-portal:query-fail:{_client_ip(request)}"


@never_cache
def query(request):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = QueryForm(request.POST or None)
    result, error, status = None, "", 200
    limit = conf.get("XN_PORTAL_QUERY_LIMIT")
    if request.method == "POST":
        key = _query_key(request)
        if (cache.get(key) or 0) >= limit:
            error, status = _("查询失败次数过多，请稍后再试。"), 429
        elif form.is_valid():
            case = (Case.objects.select_related("item", "department").filter(case_no=form.cleaned_data["case_no"])
                    .first())
            expected = (case.query_code if case is not None else "") or _DUMMY_CODE
            matches = hmac.compare_digest(expected.encode(), form.cleaned_data["code"].encode())
            if case is not None and case.query_code and matches:
                result = selectors.progress(case)
            else:
                if cache.add(key, 1, conf.get("XN_PORTAL_QUERY_WINDOW_SECONDS")) is False:
                    try:
                        cache.incr(key)
                    except ValueError:
                        cache.set(key, 1, conf.get("XN_PORTAL_QUERY_WINDOW_SECONDS"))
                error, status = _("办件编号或查询码不正确。"), 404
        else:
            status = 400
    return render(request, "portal/query.html", {"form": form, "result": result, "error": error},
                  status=status)


# --- public disclosure ----------------------------------------------------------------------------------------


def _month(value: str) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in value.split("-", 1))
        date(year, month, 1)
    except (ValueError, TypeError):
        return today.year, today.month
    return year, month


def disclosure(request):
    departments = list(Department.objects.filter(is_active=True, items__isnull=False).distinct()
                       .order_by("code").only("code", "name"))
    code = request.GET.get("dept", "")
    dept = next((d for d in departments if d.code == code), None)
    year, month = _month(request.GET.get("month", ""))
    try:
        from xiaoneng.workcal.selectors import get_calendar

        seconds_per_day = get_calendar(None).seconds_per_day
    except Exception:  # noqa: BLE001 - no calendar configured: 7 office hours
        seconds_per_day = 7 * 3600
    dept_id = dept.pk if dept else None
    acceptances = selectors.recent(EventType.ACCEPTED, dept_id)
    decisions = selectors.recent(EventType.DECIDED, dept_id)
    rows = [{"case": c, "name": crypto.mask_name(c.applicant_name), "on_time": selectors.on_time(c)}
            for c in acceptances]
    drows = [{"case": c, "name": crypto.mask_name(c.applicant_name), "on_time": selectors.on_time(c)}
             for c in decisions]
    return render(request, "portal/disclosure.html", {
        "departments": departments, "dept": dept, "acceptances": rows, "decisions": drows,
        "figures": selectors.monthly_figures(year, month, seconds_per_day), "month": f"{year}-{month:02d}",
        "ranking": selectors.published_ranking(),
    })
