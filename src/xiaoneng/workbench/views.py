"""Workbench views: inboxes, registration (申办), the case page with its actions, 即办件, 代办, printable notices.

Every case lookup goes through ``access.get_case_or_404`` (denials are 404s); every state change through
``workbench.services`` (which records events through the case engine).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.cases.models import Case, CaseStatus, CaseStep, StepStatus
from xiaoneng.core import crypto
from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.org.scoping import memoised

from . import forms as wf
from . import inbox as ib
from . import services
from .access import get_case_or_404, request_actor
from .models import (
    AgentRoute,
    CorrectionNotice,
    ExtensionRequest,
    Forwarding,
    MaterialCheck,
    NoticeKind,
    PrintedNotice,
    RequestStatus,
)
from .services import ActionError

# --- inboxes ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    # One scoping memo for the whole request: the actor, the B岗 look-up and the navigation share it.
    with memoised(request.user):
        return _inbox(request)


def _inbox(request):
    actor = request_actor(request)
    now = services.now()
    calendars = ib.Calendars()
    steps_page = ib.counted_page(ib.step_queryset(actor), request.GET.get("page"))
    accept_page = ib.counted_page(ib.pending_acceptance(actor), request.GET.get("apage"))
    delivery_page = ib.counted_page(ib.pending_delivery(actor), request.GET.get("dpage"))
    context = {
        "steps_page": steps_page,
        "steps": ib.annotate_steps(steps_page.object_list, now, calendars, actor),
        "accept_page": accept_page,
        "to_accept": ib.annotate_cases(accept_page.object_list, now, calendars),
        "delivery_page": delivery_page,
        "to_deliver": ib.annotate_cases(delivery_page.object_list, now, calendars),
        "forwarded": list(ib.forwarded_to_me(actor)[:50]),
        "extensions": list(ib.pending_extensions(actor)[:50]),
        "tab": "todo",
    }
    if request.htmx and request.GET.get("section") == "steps":
        return render(request, "workbench/inbox.html#steps", context)
    return render(request, "workbench/inbox.html", context)


@login_required
@require_GET
def done(request):
    page = ib.page(ib.handled(request.user), request.GET.get("page"))
    return render(request, "workbench/done.html", {"page": page, "tab": "done"})


@login_required
@require_GET
def case_list(request):
    """办件查询: the cases the user may see (department, co-department, 上报, region for supervisors)."""
    actor = request_actor(request)
    qs = actor.visible_cases().select_related("item", "department").order_by("-submitted_at", "-id")
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(case_no__startswith=q)
    page = ib.page(qs, request.GET.get("page"))
    return render(request, "workbench/case_list.html",
                  {"page": page, "statuses": CaseStatus.choices, "status": status, "q": q})


# --- registration ---------------------------------------------------------------------------------------------


def _window_items(actor, handling_types):
    depts = None if actor.superuser else actor.departments_with(Post.ACCEPTOR, Post.CHIEF_REP)
    return wf.items_for_departments(depts, handling_types)


def _hall(request):
    assignment = PostAssignment.objects.filter(
        user=request.user, post__in=[Post.ACCEPTOR, Post.CHIEF_REP], is_active=True, hall__isnull=False
    ).select_related("hall").first()
    return assignment.hall if assignment else None


@login_required
def register(request):
    actor = request_actor(request)
    items = _window_items(actor, wf.NON_INSTANT_TYPES)
    if not actor.superuser and not actor.departments_with(Post.ACCEPTOR, Post.CHIEF_REP):
        raise Http404
    form = wf.RegisterForm(request.POST or None, items=items, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.register(
                actor, services.published_version(data["item"]), applicant_type=data["applicant_type"],
                applicant_name=data["applicant_name"], id_no=data["id_no"], phone=data["phone"],
                channel=data["channel"], hall=_hall(request), received_material_ids=data["materials"],
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记申办，办件编号 %(no)s。") % {"no": case.case_no})
            return redirect("workbench:case", case_no=case.case_no)
    return render(request, "workbench/register.html", {"form": form, "mode": "register"})


@login_required
@require_GET
def materials_partial(request):
    """htmx: the materials checklist (and fees) of the chosen item."""
    actor = request_actor(request)
    mode = request.GET.get("mode", "register")
    if mode == "agent":
        items = wf.items_for_departments(None)
        form_class = wf.AgentForm
    elif mode == "instant":
        items = _window_items(actor, wf.INSTANT_TYPES)
        form_class = wf.InstantForm
    else:
        items = _window_items(actor, wf.NON_INSTANT_TYPES)
        form_class = wf.RegisterForm
    form = form_class(initial={"item": request.GET.get("item")}, items=items)
    return render(request, "workbench/_materials.html", {"form": form, "mode": mode})


@login_required
def instant(request):
    """即办件: register, accept, decide and deliver at the window in one screen."""
    actor = request_actor(request)
    if not actor.superuser and not actor.departments_with(Post.ACCEPTOR, Post.CHIEF_REP):
        raise Http404
    items = _window_items(actor, wf.INSTANT_TYPES)
    form = wf.InstantForm(request.POST or None, items=items, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.handle_instant(
                actor, services.published_version(data["item"]), applicant_type=data["applicant_type"],
                applicant_name=data["applicant_name"], id_no=data["id_no"], phone=data["phone"],
                hall=_hall(request), received_material_ids=data["materials"], document_no=data["document_no"],
                method=data["method"], fee_codes=data["fees"],
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("即办件已当场办结，办件编号 %(no)s。") % {"no": case.case_no})
            return redirect("workbench:case", case_no=case.case_no)
    return render(request, "workbench/register.html", {"form": form, "mode": "instant"})


# --- village agent ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def agent_list(request):
    actor = request_actor(request)
    if not (actor.is_agent or actor.superuser):
        raise Http404
    qs = Case.objects.filter(agent=request.user).select_related("item", "department", "hall") \
        .order_by("-submitted_at", "-id")
    page = ib.page(qs, request.GET.get("page"))
    routes = {r.case_id: r for r in AgentRoute.objects.filter(case__in=page.object_list)
              .select_related("from_hall", "to_hall")}
    notices = {n.case_id: n for n in CorrectionNotice.objects.filter(case__in=page.object_list)}
    rows = [{"case": c, "route": routes.get(c.pk), "stage": services.agent_stage(c),
             "correction": notices.get(c.pk)} for c in page.object_list]
    return render(request, "workbench/agent_list.html", {"page": page, "rows": rows})


@login_required
def agent_new(request):
    actor = request_actor(request)
    if not (actor.is_agent or actor.superuser):
        raise Http404
    items = wf.items_for_departments(None).filter(current_version__online=True)
    form = wf.AgentForm(request.POST or None, items=items, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.agent_submit(
                actor, services.published_version(data["item"]), applicant_type=data["applicant_type"],
                applicant_name=data["applicant_name"], id_no=data["id_no"], phone=data["phone"],
                received_material_ids=data["materials"], note=data["note"],
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            route = AgentRoute.objects.filter(case=case).select_related("to_hall").first()
            where = route.to_hall.name if route and route.to_hall else case.department.name
            messages.success(request, _("已代办受理并传送至 %(hall)s，办件编号 %(no)s。")
                             % {"hall": where, "no": case.case_no})
            return redirect("workbench:agent")
    return render(request, "workbench/register.html", {"form": form, "mode": "agent"})


# --- the case page ---------------------------------------------------------------------------------------------


def _is_handler(actor, case) -> bool:
    try:
        services._handler_post(actor, case)
        return True
    except ActionError:
        return False


def case_context(request, case: Case) -> dict:
    actor = request_actor(request)
    now = services.now()
    calendars = ib.Calendars()
    handle = actor.can_handle(case)
    dept = case.department_id
    steps = list(CaseStep.objects.filter(case=case).select_related("department").order_by("order"))
    step_rows = [{"step": s, "left": ib.time_left(s.due, case.region_code, now, calendars)
                  if s.status == StepStatus.ACTIVE else None} for s in steps]
    notice = CorrectionNotice.objects.filter(case=case).first()
    forwarding = Forwarding.objects.filter(case=case).select_related("to_department", "from_department").first()
    extensions = list(ExtensionRequest.objects.filter(case=case).select_related("requested_by", "decided_by")
                      .order_by("requested_at"))
    window = handle and (actor.superuser or actor.has(dept, Post.ACCEPTOR, Post.CHIEF_REP))
    mine = services.actionable_steps(actor, case) if handle else []
    mine_own = [s for s in mine if s.department_id == dept]  # the lead department's running steps
    decision_step = services.decision_step(actor, case) if handle else None
    step_forms = []
    for s in mine:
        if s.post == Post.DECIDER and s.department_id == dept:
            continue
        step_forms.append({"step": s, "claim": services.claim_of(case, s),
                           "form": wf.StepForm(initial={"step": s.code}, prefix=f"s-{s.code}")})
    handler = handle and _is_handler(actor, case)
    status = case.status
    pending_ext = next((e for e in extensions if e.status == RequestStatus.PENDING), None)
    clock = case.clock or {}
    actions = {
        "handle": handle,
        "accept": window and status == CaseStatus.SUBMITTED,
        "reject": window and status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION),
        "correct": notice is None and ((window and status == CaseStatus.SUBMITTED)
                                       or (bool(mine_own) and status == CaseStatus.ACCEPTED)),
        "correction_refused": notice is not None and case.is_open and (window or bool(mine_own)),
        "complete_correction": bool(notice and notice.completed_at is None and case.is_open
                                    and (window or bool(mine_own))),
        "special_start": handler and status == CaseStatus.ACCEPTED,
        "special_end": handler and status == CaseStatus.SUSPENDED,
        "extension": handler and status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
        and case.extended_days == 0 and not any(e.status != RequestStatus.REFUSED for e in extensions),
        "approve_extension": pending_ext is not None and (actor.superuser or actor.has(dept, Post.LEADER)),
        "fee": handle and (actor.superuser or actor.has(dept, Post.ACCEPTOR, Post.NOTIFIER, Post.CHIEF_REP))
        and status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED, CaseStatus.DECIDED),
        "decide": decision_step is not None,
        "deliver": handle and status == CaseStatus.DECIDED
        and (actor.superuser or actor.has(dept, Post.NOTIFIER, Post.CHIEF_REP)),
        "withdraw": window and case.is_open,
        "forward": handle and services.can_forward(actor, case),
        "awaiting_higher": forwarding is not None and forwarding.decided_at is None and decision_step is None,
    }
    actions["any"] = any(v for k, v in actions.items() if k not in ("handle", "correction_refused",
                                                                    "awaiting_higher"))
    notices = {n.kind: n for n in PrintedNotice.objects.filter(case=case)}
    return {
        "case": case,
        "clock": clock,
        "case_left": ib.time_left(case.promised_due, case.region_code, now, calendars)
        if case.is_open and case.accepted_at else None,
        "pre_due": ib.clock_due(case, "pre_acceptance_due"),
        "delivery_due": ib.clock_due(case, "delivery_due"),
        "elapsed_days": clock.get("elapsed_days"),
        "suspended_days": clock.get("suspended_days"),
        "specials": clock.get("specials") or [],
        "steps": step_rows,
        "events": list(case.events.order_by("occurred_at", "seq")),
        "checks": list(MaterialCheck.objects.filter(case=case)),
        "correction": notice,
        "forwarding": forwarding,
        "extensions": extensions,
        "pending_extension": pending_ext,
        "route": AgentRoute.objects.filter(case=case).select_related("from_hall", "to_hall").first(),
        "notices": notices,
        "fees": list(case.item_version.fees.all()),
        "actions": actions,
        "step_forms": step_forms,
        "decision_step": decision_step,
        "read_only": not handle,
        "forms": {
            "reject": wf.ReasonForm(prefix="reject"),
            "withdraw": wf.ReasonForm(prefix="withdraw"),
            "correct": wf.CorrectionForm(initial={"materials": "\n".join(
                c.name for c in MaterialCheck.objects.filter(case=case, received=False))}),
            "special_start": wf.SpecialStartForm(),
            "special_end": wf.SpecialEndForm(),
            "extension": wf.ExtensionForm(),
            "extension_decision": wf.ExtensionDecisionForm(),
            "decide": wf.DecisionForm(),
            "deliver": wf.DeliveryForm(),
            "forward": wf.ForwardForm(),
        },
    }


@login_required
@require_GET
def case_detail(request, case_no):
    case = get_case_or_404(request, case_no)
    context = case_context(request, case)
    if request.htmx and request.GET.get("partial") == "panel":
        return render(request, "workbench/case_detail.html#case-panel", context)
    return render(request, "workbench/case_detail.html", context)


def _cd(form):
    return form.cleaned_data


ACTIONS = {
    "accept": (None, lambda a, c, f: services.accept(a, c), _("已受理。")),
    "reject": (lambda d: wf.ReasonForm(d, prefix="reject"),
               lambda a, c, f: services.reject(a, c, _cd(f)["reason"]), _("已作出不予受理决定。")),
    "correct": (wf.CorrectionForm, lambda a, c, f: services.request_correction(a, c, f.material_list(),
                                                                               _cd(f)["note"]),
                _("已发出补正告知。")),
    "correction-done": (None, lambda a, c, f: services.complete_correction(a, c), _("补正材料已收齐。")),
    "claim": (wf.StepForm, lambda a, c, f: services.claim_step(a, c, f.data.get("step", "")), _("已签收。")),
    "step": (None, None, _("已提交办理意见。")),
    "special-start": (wf.SpecialStartForm, lambda a, c, f: services.start_special(
        a, c, _cd(f)["reason"], _cd(f)["workdays"], _cd(f)["note"]), _("特别程序已启动，暂停计时。")),
    "special-end": (wf.SpecialEndForm, lambda a, c, f: services.end_special(a, c, _cd(f)["result"]),
                    _("特别程序已结束，恢复计时。")),
    "extension": (wf.ExtensionForm, lambda a, c, f: services.request_extension(
        a, c, _cd(f)["workdays"], _cd(f)["reason"]), _("延期申请已提交领导审批。")),
    "fee": (wf.FeeForm, lambda a, c, f: services.charge_fee(a, c, _cd(f)["fee_code"]), _("已收费。")),
    "decide": (wf.DecisionForm, lambda a, c, f: services.decide(
        a, c, _cd(f)["result"], _cd(f)["reason"], _cd(f)["document_no"], _cd(f)["opinion"]), _("已办结。")),
    "deliver": (wf.DeliveryForm, lambda a, c, f: services.deliver(a, c, _cd(f)["method"]), _("已送达。")),
    "withdraw": (lambda d: wf.ReasonForm(d, prefix="withdraw"),
                 lambda a, c, f: services.withdraw(a, c, _cd(f)["reason"]), _("申请已撤回。")),
    "forward": (wf.ForwardForm, lambda a, c, f: services.forward(a, c, _cd(f)["opinion"]), _("已上报。")),
}


def _step_action(actor, case, post):
    """The step form is rendered once per running step with the prefix ``s-<code>``; plain names work too."""
    code = post.get("step", "")
    prefix = f"s-{code}-"
    form = wf.StepForm({
        "step": code,
        "outcome": post.get(prefix + "outcome", post.get("outcome", "")),
        "opinion": post.get(prefix + "opinion", post.get("opinion", "")),
    })
    if not form.is_valid():
        raise ActionError(_("请填写办理意见。"))
    data = form.cleaned_data
    return services.complete_step(actor, case, data["step"], data["outcome"], data["opinion"])


def _first_error(form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("提交的内容有误。")


@login_required
@require_POST
def case_action(request, case_no, action):
    if action not in ACTIONS:
        raise Http404
    case = get_case_or_404(request, case_no, handle=True)
    actor = request_actor(request)
    form_class, func, success = ACTIONS[action]
    error = None
    try:
        if action == "step":
            _step_action(actor, case, request.POST)
        elif action == "claim":
            services.claim_step(actor, case, request.POST.get("step", ""))
        else:
            form = form_class(request.POST) if form_class else None
            if form is not None and not form.is_valid():
                raise ActionError(_first_error(form))
            func(actor, case, form)
    except ActionError as exc:
        error = exc.message
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    if request.htmx:
        case = get_case_or_404(request, case_no)
        return render(request, "workbench/case_detail.html#case-panel", case_context(request, case))
    return redirect("workbench:case", case_no=case_no)


@login_required
@require_POST
def extension_decide(request, pk):
    actor = request_actor(request)
    depts = actor.departments_with(Post.LEADER)
    qs = ExtensionRequest.objects.select_related("case", "case__item_version", "case__department")
    if not actor.superuser:
        qs = qs.filter(department_id__in=depts)
    request_obj = get_object_or_404(qs, pk=pk)
    form = wf.ExtensionDecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionError(_first_error(form))
        services.decide_extension(actor, request_obj, form.cleaned_data["approve"] == "1",
                                  form.cleaned_data["note"])
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("延期审批已完成。"))
    nxt = request.POST.get("next", "")
    if nxt == "inbox":
        return redirect("workbench:inbox")
    return redirect("workbench:case", case_no=request_obj.case.case_no)


# --- printable notices -------------------------------------------------------------------------------------------

PRINT_TEMPLATES = {
    NoticeKind.ACCEPTANCE: "workbench/print/acceptance.html",
    NoticeKind.CORRECTION: "workbench/print/correction.html",
    NoticeKind.REJECTION: "workbench/print/rejection.html",
}


@login_required
@require_GET
def print_notice(request, case_no, kind):
    if kind not in PRINT_TEMPLATES:
        raise Http404
    actor = request_actor(request)
    case = get_case_or_404(request, case_no)
    own_agent = case.agent_id == request.user.pk
    if not (actor.can_handle(case) or own_agent):
        raise Http404
    notice = PrintedNotice.objects.filter(case=case, kind=kind).first()
    if notice is None:
        raise Http404
    full_id = actor.is_handling_department(case)
    context = {
        "case": case,
        "notice": notice,
        "id_no": crypto.decrypt(case.applicant_id_cipher) if full_id else case.applicant_id_masked,
        "checks": list(MaterialCheck.objects.filter(case=case)),
        "correction": CorrectionNotice.objects.filter(case=case).first(),
        "version": case.item_version,
        "progress_url": request.build_absolute_uri("/"),
    }
    return render(request, PRINT_TEMPLATES[kind], context)


def case_url(case: Case) -> str:
    return reverse("workbench:case", kwargs={"case_no": case.case_no})
