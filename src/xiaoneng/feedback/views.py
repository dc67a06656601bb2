"""Staff handling of feedback (/staff/feedback/): inbox, consultations, complaints, ratings, statistics.

Every read goes through ``policy.visible`` (scoped by department); every action checks its policy function
(see :mod:`xiaoneng.feedback.policy` for who may do what) and calls :mod:`xiaoneng.feedback.services`.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from xiaoneng.core.crypto import decrypt, mask_phone
from xiaoneng.org.models import Department
from xiaoneng.org.scoping import is_supervisor, visible_department_ids

from . import forms, policy, selectors, services
from .models import (
    AppealStatus,
    BadRatingStage,
    Complaint,
    ComplaintAttachment,
    ComplaintStatus,
    Consultation,
    ConsultationStatus,
    Rating,
)

TABS = ("complaints", "consultations", "ratings")

ACTION_LABELS = {
    "submit": _l("提交"), "reply": _l("答复"), "publish": _l("公开"), "unpublish": _l("取消公开"),
    "accept": _l("受理"), "decline": _l("不予受理"), "assign": _l("分派"), "investigate": _l("调查"),
    "resolve": _l("办结答复"), "verify": _l("核实"), "rectify": _l("整改"), "callback": _l("回访"),
    "appeal": _l("申诉"), "remove": _l("撤销评价"), "appeal_rejected": _l("驳回申诉"),
}
STATUS_LABELS = {
    **dict(ConsultationStatus.choices), **dict(ComplaintStatus.choices), **dict(BadRatingStage.choices),
    **dict(AppealStatus.choices),
}


def _history(obj) -> list[dict]:
    return [{"at": t.at, "action": ACTION_LABELS.get(t.action, t.action),
             "from": STATUS_LABELS.get(t.from_status, t.from_status) if t.from_status else "",
             "to": STATUS_LABELS.get(t.to_status, t.to_status) if t.to_status else "",
             "actor": t.actor_name, "note": t.note} for t in services.history(obj)]


def _page(request, qs):
    return Paginator(qs, 30).get_page(request.GET.get("page"))


@login_required
def inbox(request):
    tab = request.GET.get("tab", "complaints")
    if tab not in TABS:
        tab = "complaints"
    show = request.GET.get("show", "open")
    user = request.user
    if tab == "complaints":
        qs = policy.visible(Complaint.objects.select_related("department", "target_department", "case",
                                                             "assigned_to"), user)
        if show == "open":
            qs = qs.filter(status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED,
                                       ComplaintStatus.INVESTIGATING])
    elif tab == "consultations":
        qs = policy.visible(Consultation.objects.select_related("department", "item"), user)
        if show == "open":
            qs = qs.filter(status=ConsultationStatus.RECEIVED)
    else:
        qs = policy.visible(Rating.objects.select_related("department", "case"), user)
        if show == "open":
            qs = qs.filter(is_bad=True, removed=False).exclude(stage=BadRatingStage.DONE) | qs.filter(
                appeal_status=AppealStatus.PENDING)
    counts = {
        "complaints": policy.visible(Complaint.objects.filter(
            status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING]),
            user).count(),
        "consultations": policy.visible(Consultation.objects.filter(status=ConsultationStatus.RECEIVED),
                                        user).count(),
        "ratings": policy.visible(Rating.objects.filter(is_bad=True, removed=False)
                                  .exclude(stage=BadRatingStage.DONE), user).count(),
    }
    return render(request, "feedback/staff/inbox.html", {
        "tab": tab, "show": show, "page": _page(request, qs.order_by("-id")), "counts": counts,
    })


def _get(request, model, pk):
    qs = policy.visible(model.objects.select_related("department"), request.user)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _phone(obj, can_act: bool) -> str:
    phone = decrypt(obj.phone_cipher)
    return phone if can_act else mask_phone(phone)


# --- consultations -------------------------------------------------------------------------------------------------


@login_required
def consultation_detail(request, pk: int):
    c = _get(request, Consultation, pk)
    can_reply = policy.can_reply(request.user, c)
    if request.method == "POST":
        if not can_reply:
            raise PermissionDenied
        action = request.POST.get("action", "reply")
        try:
            if action == "reply":
                form = forms.ReplyForm(request.POST)
                if form.is_valid():
                    services.reply_consultation(c, user=request.user, reply=form.cleaned_data["reply"],
                                                publish=form.cleaned_data["publish"])
                    messages.success(request, _("已答复。"))
                    return redirect("feedback:consultation", pk=c.pk)
            elif action in ("publish", "unpublish"):
                services.set_consultation_public(c, user=request.user, public=action == "publish")
                messages.success(request, _("已更新公开状态。"))
                return redirect("feedback:consultation", pk=c.pk)
        except services.FeedbackError as exc:
            messages.error(request, exc.message)
            return redirect("feedback:consultation", pk=c.pk)
    else:
        form = forms.ReplyForm()
    return render(request, "feedback/staff/consultation.html", {
        "c": c, "form": form, "can_reply": can_reply, "phone": _phone(c, can_reply),
        "history": _history(c),
    })


# --- complaints ----------------------------------------------------------------------------------------------------


COMPLAINT_FORMS = {
    "accept": forms.NoteForm, "decline": forms.DeclineForm, "assign": forms.AssignForm,
    "investigate": forms.NoteForm, "resolve": forms.ResolveForm,
}


def _complaint_forms(c, data=None, action=None):
    out = {}
    for name, cls in COMPLAINT_FORMS.items():
        bound = data if name == action else None
        kwargs = {"department": c.department} if cls is forms.AssignForm else {}
        out[name] = cls(bound, prefix=name, **kwargs)
    return out


@login_required
def complaint_detail(request, pk: int):
    c = _get(request, Complaint, pk)
    can_handle = policy.can_handle_complaint(request.user, c)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None:
        if not can_handle:
            raise PermissionDenied
        if action not in COMPLAINT_FORMS:
            raise Http404
    all_forms = _complaint_forms(c, request.POST if action else None, action)
    if action:
        form = all_forms[action]
        if form.is_valid():
            data, user = form.cleaned_data, request.user
            try:
                if action == "accept":
                    services.accept_complaint(c, user=user, note=data["note"])
                elif action == "decline":
                    services.decline_complaint(c, user=user, reason=data["reason"])
                elif action == "assign":
                    services.assign_complaint(c, user=user, assignee=data["assignee"])
                elif action == "investigate":
                    services.investigate_complaint(c, user=user, note=data["note"])
                else:
                    services.resolve_complaint(c, user=user, result=data["result"], reply=data["reply"])
            except services.FeedbackError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("操作成功。"))
            return redirect("feedback:complaint", pk=c.pk)
    return render(request, "feedback/staff/complaint.html", {
        "c": c, "forms": all_forms, "can_handle": can_handle, "phone": _phone(c, can_handle),
        "history": _history(c), "attachments": c.attachments.all(),
    }, status=400 if action else 200)


@login_required
def attachment(request, pk: int):
    att = get_object_or_404(ComplaintAttachment.objects.select_related("complaint"), pk=pk)
    if not policy.can_read(request.user, att.complaint):
        raise Http404
    response = FileResponse(att.file.open("rb"), content_type=att.content_type or "application/octet-stream",
                            as_attachment=True, filename=att.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- ratings -------------------------------------------------------------------------------------------------------


RATING_FORMS = {
    "verify": forms.VerifyForm, "rectify": forms.RectifyForm, "callback": forms.CallbackForm,
    "appeal": forms.AppealForm, "decide": forms.AppealDecisionForm,
}


@login_required
def rating_detail(request, pk: int):
    r = _get(request, Rating, pk)
    can_handle = policy.can_handle_rating(request.user, r)
    can_decide = policy.can_decide_appeal(request.user, r)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None:
        if action not in RATING_FORMS:
            raise Http404
        if (action == "decide" and not can_decide) or (action != "decide" and not can_handle):
            raise PermissionDenied
    all_forms = {name: cls(request.POST if name == action else None, prefix=name)
                 for name, cls in RATING_FORMS.items()}
    if action:
        form = all_forms[action]
        if form.is_valid():
            data, user = form.cleaned_data, request.user
            try:
                if action == "verify":
                    services.verify_rating(r, user=user, verification=data["verification"])
                elif action == "rectify":
                    services.rectify_rating(r, user=user, rectification=data["rectification"])
                elif action == "callback":
                    services.callback_rating(r, user=user, result=data["result"], note=data["note"])
                elif action == "appeal":
                    services.appeal_rating(r, user=user, reason=data["reason"])
                else:
                    services.decide_appeal(r, user=user, uphold=data["decision"] == "uphold", note=data["note"])
            except services.FeedbackError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("操作成功。"))
            return redirect("feedback:rating", pk=r.pk)
    phone = decrypt(r.phone_cipher) or decrypt(r.case.applicant_phone_cipher)
    return render(request, "feedback/staff/rating.html", {
        "r": r, "forms": all_forms, "can_handle": can_handle, "can_decide": can_decide,
        "phone": phone if can_handle else mask_phone(phone), "history": _history(r),
        "dimensions": selectors.rating_dimensions(r),
    }, status=400 if action else 200)


# --- statistics ----------------------------------------------------------------------------------------------------


@login_required
def stats(request):
    if not policy.is_staff_user(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today.replace(day=1)
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    visible = visible_department_ids(request.user)
    rows = selectors.department_stats(start, end, department_ids=visible)
    names = dict(Department.objects.filter(id__in=rows.keys()).values_list("id", "name"))
    table = [(names.get(dept_id, dept_id), s) for dept_id, s in sorted(rows.items())]
    return render(request, "feedback/staff/stats.html", {
        "start": start, "end": end, "table": table, "is_supervisor": is_supervisor(request.user),
    })
