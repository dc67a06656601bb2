"""Staff pages of electronic supervision: the monitoring wall (and its htmx partials), the alert queue, alert,
case and order pages with their actions, and the notification centre.

Scoping: supervisors see the departments of their region subtree; department staff see their own department;
every object page answers 404 for anything outside the user's scope.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import permissions, services
from .catalogue import ALL_RULES, RULE_NAMES
from .models import Alert, AlertStatus, Level, Notification, OrderStatus, SupervisionOrder
from .wall import chart_json, wall_data


def _staff(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not permissions.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _visible(user, department_id: int) -> bool:
    ids = permissions.department_ids(user)
    return ids is None or department_id in ids


# --- the wall ------------------------------------------------------------------------------------------------


@_staff
def wall(request):
    """实时监控: supervisors see their region, department staff their own department."""
    screen = request.GET.get("screen") == "1"
    data = wall_data(permissions.department_ids(request.user))
    ctx = {"data": data, "charts": chart_json(data), "screen": screen,
           "is_supervisor": permissions.supervisor(request.user)}
    return render(request, "supervision/wall_screen.html" if screen else "supervision/wall.html", ctx)


@_staff
def wall_panels(request):
    """htmx partial: the wall's figures and chart data (polled every 30 s)."""
    data = wall_data(permissions.department_ids(request.user))
    # Rendered without the request context: the fragment needs no navigation, CSRF token or nonce.
    html = get_template("supervision/_wall_panels.html").render(
        {"data": data, "charts": chart_json(data), "screen": request.GET.get("screen") == "1",
         "is_supervisor": permissions.supervisor(request.user)})
    return HttpResponse(html)


# --- the queue ------------------------------------------------------------------------------------------------

PERIODS = {"today": 0, "week": 6, "month": 29}


def _filtered_alerts(request):
    qs = permissions.scope(Alert.objects.all(), request.user)
    f = {k: request.GET.get(k, "") for k in ("department", "level", "rule", "status", "period", "since", "until", "q")}
    if f["department"].isdigit():
        qs = qs.filter(department_id=int(f["department"]))
    if f["level"] in Level.values:
        qs = qs.filter(level=f["level"])
    if f["rule"] in ALL_RULES:
        qs = qs.filter(rule=f["rule"])
    if f["status"] == "open":
        qs = qs.filter(status__in=Alert.OPEN_STATUSES)
    elif f["status"] in AlertStatus.values:
        qs = qs.filter(status=f["status"])
    tz = timezone.get_current_timezone()
    if f["period"] in PERIODS:
        start = timezone.localdate() - timedelta(days=PERIODS[f["period"]])
        qs = qs.filter(raised_at__gte=datetime.combine(start, time.min, tz))
    if (d := parse_date(f["since"] or "")) is not None:
        qs = qs.filter(raised_at__gte=datetime.combine(d, time.min, tz))
    if (d := parse_date(f["until"] or "")) is not None:
        qs = qs.filter(raised_at__lt=datetime.combine(d + timedelta(days=1), time.min, tz))
    if f["q"].strip():
        qs = qs.filter(subject_no__icontains=f["q"].strip())
    return qs, f


@_staff
def queue(request):
    """预警督办: the alert queue with filters (department, level, rule, status, period)."""
    from xiaoneng.org.models import Department

    qs, f = _filtered_alerts(request)
    page = Paginator(qs.select_related("department").order_by("-raised_at", "-id"), 50).get_page(
        request.GET.get("page"))
    ids = permissions.department_ids(request.user)
    departments = Department.objects.all() if ids is None else Department.objects.filter(id__in=ids)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "supervision/queue.html", {
        "page": page, "f": f, "departments": departments, "levels": Level.choices,
        "rules": [(code, RULE_NAMES[code]) for code in ALL_RULES], "statuses": AlertStatus.choices,
        "query": params.urlencode(), "is_supervisor": permissions.supervisor(request.user),
    })


# --- alert, case and order pages ------------------------------------------------------------------------------


def _alert_for(request, pk) -> Alert:
    alert = get_object_or_404(Alert.objects.select_related("department", "case"), pk=pk)
    if not _visible(request.user, alert.department_id):
        raise Http404
    return alert


ACTION_LABELS = {"confirm": gettext_lazy("确认发出"), "dismiss": gettext_lazy("不予发出"),
                 "appeal": gettext_lazy("提出申诉"), "revoke": gettext_lazy("撤销"), "reject": gettext_lazy("驳回申诉"),
                 "escalate": gettext_lazy("上报"), "close": gettext_lazy("办结")}


def _actions_for(user, alert: Alert) -> list[tuple[str, str]]:
    out = []
    for action, (allowed, _to, side) in services.TRANSITIONS.items():
        if alert.status not in allowed:
            continue
        if side == "supervisor" and services.can_supervise(user, alert):
            out.append((action, str(ACTION_LABELS[action])))
        elif side == "department" and services.can_answer(user, alert):
            out.append((action, str(ACTION_LABELS[action])))
    return out


@_staff
def alert_detail(request, pk):
    alert = _alert_for(request, pk)
    return render(request, "supervision/alert.html", {
        "alert": alert, "transitions": alert.transitions.select_related("actor").order_by("at", "id"),
        "actions": _actions_for(request.user, alert), "orders": alert.orders.all(),
        "can_order": services.can_supervise(request.user, alert),
    })


@_staff
@require_POST
def alert_action(request, pk):
    alert = _alert_for(request, pk)
    action = request.POST.get("action", "")
    try:
        services.transition(alert, action, request.user, request.POST.get("note", ""))
    except PermissionDenied:
        raise
    except ValidationError as exc:
        flash.error(request, "；".join(exc.messages))
    else:
        flash.success(request, _("已处理"))
    return redirect("supervision:alert", pk=alert.pk)


@_staff
def case_page(request, pk):
    """办件监察: the timeline of events, the clock and every card on the case."""
    from xiaoneng.cases.models import Case

    case = get_object_or_404(Case.objects.select_related("item", "department", "item_version"), pk=pk)
    if not _visible(request.user, case.department_id):
        raise Http404
    alerts = case.alerts.order_by("due_at", "id")
    return render(request, "supervision/case.html", {
        "case": case, "events": case.events.order_by("occurred_at", "seq"), "steps": case.steps.order_by("order"),
        "alerts": alerts, "deadlines": _deadline_rows(case), "can_order": services._supervisor_of(
            request.user, case.department_id),
        "orders": SupervisionOrder.objects.filter(case=case),
    })


def _deadline_rows(case) -> list[dict]:
    now = timezone.now()
    rows = []
    for d in case.deadlines or []:
        at = services._parse(d.get("at"))
        rows.append({"rule": RULE_NAMES.get(d.get("rule"), d.get("rule")), "level": d.get("level"),
                     "step": d.get("step") or "", "at": at, "passed": at is not None and at <= now})
    return rows


@_staff
@require_POST
def order_new(request):
    alert = None
    case = None
    if request.POST.get("alert", "").isdigit():
        alert = _alert_for(request, int(request.POST["alert"]))
        department_id = alert.department_id
    elif request.POST.get("case", "").isdigit():
        from xiaoneng.cases.models import Case

        case = get_object_or_404(Case, pk=int(request.POST["case"]))
        if not _visible(request.user, case.department_id):
            raise Http404
        department_id = case.department_id
    else:
        raise Http404
    try:
        days = max(1, min(int(request.POST.get("reply_days") or 3), 30))
        order = services.issue_order(request.user, department_id=department_id,
                                     instructions=request.POST.get("instructions", ""), reply_days=days,
                                     alert=alert, case=case)
    except (ValueError, ValidationError) as exc:
        flash.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("supervision:alert", pk=alert.pk) if alert else redirect("supervision:case", pk=case.pk)
    flash.success(request, _("已发出督办单 %(no)s") % {"no": order.order_no})
    return redirect("supervision:order", pk=order.pk)


@_staff
def orders(request):
    qs = permissions.scope(SupervisionOrder.objects.select_related("department", "case"), request.user)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-issued_at"), 50).get_page(request.GET.get("page"))
    return render(request, "supervision/orders.html", {"page": page, "statuses": OrderStatus.choices,
                                                         "status": status})


def _order_for(request, pk) -> SupervisionOrder:
    order = get_object_or_404(SupervisionOrder.objects.select_related("department", "case", "alert"), pk=pk)
    if not _visible(request.user, order.department_id):
        raise Http404
    return order


@_staff
def order_detail(request, pk):
    order = _order_for(request, pk)
    return render(request, "supervision/order.html", {
        "order": order, "transitions": order.transitions.select_related("actor").order_by("at", "id"),
        "accountabilities": order.accountabilities.all(),
        "can_reply": order.status == OrderStatus.OPEN and services.can_answer(request.user, order),
        "can_close": order.is_open and services.can_supervise(request.user, order),
    })


@_staff
@require_POST
def order_reply(request, pk):
    order = _order_for(request, pk)
    try:
        services.reply_order(order, request.user, request.POST.get("reply", ""))
    except ValidationError as exc:
        flash.error(request, "；".join(exc.messages))
    else:
        flash.success(request, _("已反馈"))
    return redirect("supervision:order", pk=order.pk)


@_staff
@require_POST
def order_close(request, pk):
    order = _order_for(request, pk)
    corrected = request.POST.get("outcome") != "accountability"
    people = []
    if not corrected:
        names = request.POST.getlist("person_name")
        steps = request.POST.getlist("step")
        measures = request.POST.getlist("measure")
        for i, name in enumerate(names):
            if name.strip() or (i < len(measures) and measures[i].strip()):
                people.append({"person_name": name.strip(), "step": steps[i] if i < len(steps) else "",
                               "measure": measures[i].strip() if i < len(measures) else ""})
    try:
        services.close_order(order, request.user, corrected=corrected, conclusion=request.POST.get("conclusion", ""),
                             accountabilities=people)
    except ValidationError as exc:
        flash.error(request, "；".join(exc.messages))
    else:
        flash.success(request, _("督办单已办结"))
    return redirect("supervision:order", pk=order.pk)


# --- notifications --------------------------------------------------------------------------------------------


@login_required
def notifications(request):
    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "supervision/notifications.html", {"page": page, "unread": request.GET.get("unread")})


@login_required
@require_POST
def notification_read(request, pk=None):
    qs = Notification.objects.filter(recipient=request.user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    qs.update(read_at=timezone.now())
    if request.htmx:
        return badge(request)
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("supervision:notifications")


@login_required
def badge(request):
    """htmx partial for the staff header: the unread notification count."""
    n = Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "supervision/_badge.html", {"unread": n})


@login_required
def open_notification(request, pk):
    n = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    if n.url.startswith("/") and not n.url.startswith("//"):
        return redirect(n.url)
    return redirect("supervision:notifications")


def health(request):  # pragma: no cover - trivial
    return HttpResponse("ok")
