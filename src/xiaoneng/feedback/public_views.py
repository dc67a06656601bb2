"""The public feedback site (no login): 咨询, 投诉, 好差评, receipt lookup, public Q&A; plus the window-side
rating device (评价器), which is staff-authenticated.

Abuse resistance: per-IP and per-phone rate limits on accepted submissions, a per-IP limit on failed code and
receipt guesses, a session-held arithmetic challenge, size and type limits — each rejection explains itself in
Chinese. The receipt page is shown only in the session that submitted; afterwards, the lookup page needs the
receipt number and the phone's last four digits and answers "not found" for any mismatch.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xiaoneng.cases.models import Case
from xiaoneng.org.models import Window

from . import challenge, policy, ratelimit, services
from .forms import ComplaintForm, ConsultationForm, DeviceRatingForm, LookupForm, RatingForm
from .models import Complaint, Consultation, Rating, RatingChannel

RECEIPTS_SESSION_KEY = "xn_feedback_receipts"
TOO_MANY = 429


def public_base() -> str:
    """The portal's public layout when it exists, else this app's own."""
    return select_template(["portal/public_base.html", "feedback/public_base.html"]).template.name


def _render(request, template, context, status=200):
    context = {"public_base": public_base(), **context}
    return render(request, template, context, status=status)


def _form_page(request, template, form, form_name, status=200, extra=None):
    context = {"form": form, "challenge_question": challenge.issue(request, form_name), **(extra or {})}
    return _render(request, template, context, status=status)


def _remember_receipt(request, receipt_no: str) -> None:
    receipts = list(request.session.get(RECEIPTS_SESSION_KEY, []))[-19:]
    receipts.append(receipt_no)
    request.session[RECEIPTS_SESSION_KEY] = receipts


def _rate_limited_message() -> str:
    return _("提交过于频繁，请稍后再试（每小时最多提交若干次）。如有急事请拨打政务服务热线 12345。")


def _check_challenge(request, form, form_name) -> bool:
    if not challenge.check(request, form_name, form.data.get("challenge", "")):
        form.add_error("challenge", _("验证问题回答错误，请重新计算后填写。"))
        return False
    return True


def index(request):
    return _render(request, "feedback/public/index.html", {})


@require_http_methods(["GET", "POST"])
def consult(request):
    name, template = "consult", "feedback/public/consult.html"
    ip = ratelimit.client_ip(request)
    if request.method == "GET":
        return _form_page(request, template, ConsultationForm(), name)
    form = ConsultationForm(request.POST)
    if ratelimit.exceeded(name, ip=ip):
        form.add_error(None, _rate_limited_message())
        return _form_page(request, template, form, name, status=TOO_MANY)
    valid = form.is_valid()
    if not _check_challenge(request, form, name) or not valid:
        return _form_page(request, template, form, name, status=400)
    data = form.cleaned_data
    if ratelimit.exceeded(name, phone=data["phone"]):
        form.add_error("phone", _("该电话号码提交过于频繁，请稍后再试。"))
        return _form_page(request, template, form, name, status=TOO_MANY)
    consultation = services.submit_consultation(
        department=data["department"], item=data["item"], question=data["question"],
        asker_name=data["asker_name"], phone=data["phone"], publish_consent=data["publish_consent"])
    ratelimit.count(name, ip=ip, phone=data["phone"])
    _remember_receipt(request, consultation.receipt_no)
    return redirect("feedback_public:receipt", receipt_no=consultation.receipt_no)


@require_http_methods(["GET", "POST"])
def complain(request):
    name, template = "complain", "feedback/public/complain.html"
    ip = ratelimit.client_ip(request)
    if request.method == "GET":
        initial = {"case_no": request.GET.get("case_no", "")[:64]}
        if initial["case_no"]:
            initial["target"] = "case"
        return _form_page(request, template, ComplaintForm(initial=initial), name)
    form = ComplaintForm(request.POST, request.FILES)
    if ratelimit.exceeded(name, ip=ip):
        form.add_error(None, _rate_limited_message())
        return _form_page(request, template, form, name, status=TOO_MANY)
    valid = form.is_valid()
    if not _check_challenge(request, form, name) or not valid:
        return _form_page(request, template, form, name, status=400)
    data = form.cleaned_data
    if ratelimit.exceeded(name, phone=data["phone"]):
        form.add_error("phone", _("该电话号码提交过于频繁，请稍后再试。"))
        return _form_page(request, template, form, name, status=TOO_MANY)
    try:
        complaint = services.submit_complaint(
            type=data["type"], target=data["target"], description=data["description"], phone=data["phone"],
            complainant_name=data["complainant_name"], case_no=data["case_no"], query_code=data["query_code"],
            target_department=data["target_department"], window=data["window"], staff_name=data["staff_name"],
            files=data["attachments"])
    except services.FeedbackError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, template, form, name, status=400)
    ratelimit.count(name, ip=ip, phone=data["phone"])
    _remember_receipt(request, complaint.receipt_no)
    return redirect("feedback_public:receipt", receipt_no=complaint.receipt_no)


@require_http_methods(["GET", "POST"])
def rate(request):
    name, template = "rate", "feedback/public/rate.html"
    ip = ratelimit.client_ip(request)
    if request.method == "GET":
        return _form_page(request, template, RatingForm(initial={"case_no": request.GET.get("case_no", "")[:64]}),
                          name)
    form = RatingForm(request.POST)
    if ratelimit.exceeded(name, ip=ip) or ratelimit.guesses_exceeded(ip):
        form.add_error(None, _rate_limited_message())
        return _form_page(request, template, form, name, status=TOO_MANY)
    valid = form.is_valid()
    if not _check_challenge(request, form, name) or not valid:
        return _form_page(request, template, form, name, status=400)
    data = form.cleaned_data
    case = services.check_rating_code(data["case_no"], data["rating_code"])
    if case is None:
        ratelimit.count_guess(ip)
        form.add_error(None, _("办件编号或评价码不正确，请核对办结通知书上的编号和评价码。"))
        return _form_page(request, template, form, name, status=400)
    try:
        rating = services.submit_rating(case=case, channel=RatingChannel.ONLINE, level=data["level"],
                                        scores=form.scores(), comment=data["comment"], phone=data["phone"])
    except services.FeedbackError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, template, form, name, status=400)
    ratelimit.count(name, ip=ip)
    _remember_receipt(request, rating.receipt_no)
    return redirect("feedback_public:receipt", receipt_no=rating.receipt_no)


def _find_by_receipt(receipt_no: str):
    receipt_no = (receipt_no or "").strip().upper()
    model = {"ZX": Consultation, "TS": Complaint, "PJ": Rating}.get(receipt_no[:2])
    if model is None:
        return None
    return model.objects.select_related("department").filter(receipt_no=receipt_no).first()


def _status_context(obj) -> dict:
    kind = {Consultation: "consultation", Complaint: "complaint", Rating: "rating"}[type(obj)]
    return {"obj": obj, "kind": kind}


def receipt(request, receipt_no: str):
    if receipt_no not in request.session.get(RECEIPTS_SESSION_KEY, []):
        return redirect("feedback_public:lookup")
    obj = _find_by_receipt(receipt_no)
    if obj is None:
        return redirect("feedback_public:lookup")
    return _render(request, "feedback/public/receipt.html", _status_context(obj))


@require_http_methods(["GET", "POST"])
def lookup(request):
    template = "feedback/public/lookup.html"
    ip = ratelimit.client_ip(request)
    if request.method == "GET":
        return _render(request, template, {"form": LookupForm()})
    form = LookupForm(request.POST)
    if ratelimit.guesses_exceeded(ip):
        form.add_error(None, _("查询失败次数过多，请一小时后再试。"))
        return _render(request, template, {"form": form}, status=TOO_MANY)
    if not form.is_valid():
        return _render(request, template, {"form": form}, status=400)
    obj = _find_by_receipt(form.cleaned_data["receipt_no"])
    if obj is None or not obj.phone_last4 or obj.phone_last4 != form.cleaned_data["phone_last4"]:
        ratelimit.count_guess(ip)
        form.add_error(None, _("未找到相符的记录，请核对受理编号和联系电话后四位。"))
        return _render(request, template, {"form": form}, status=404)
    return _render(request, template, {"form": LookupForm(), **_status_context(obj)})


def qa(request):
    qs = Consultation.objects.filter(is_public=True, publish_consent=True).select_related("department", "item")
    query = request.GET.get("q", "").strip()[:50]
    if query:
        qs = qs.filter(Q(question__icontains=query) | Q(reply__icontains=query))
    page = Paginator(qs.order_by("-published_at", "-id"), 20).get_page(request.GET.get("page"))
    return _render(request, "feedback/public/qa.html", {"page": page, "query": query})


# --- the window-side rating device (评价器) ------------------------------------------------------------------------


def device_cases(window: Window, user):
    """Cases the kiosk may rate: decided/delivered cases of the window's departments (or the user's), from this
    hall or with no hall recorded, not yet rated on a device. "The case just handled" comes first: the one the
    logged-in clerk last recorded an event on (workbench ``actor_id`` = username), then the latest decided."""
    dept_ids = list(window.departments.values_list("id", flat=True)) or [user.department_id]
    return (Case.objects.filter(department_id__in=dept_ids, status__in=services.RATEABLE_STATUSES)
            .filter(Q(hall=window.hall) | Q(hall__isnull=True))
            .exclude(ratings__channel=RatingChannel.DEVICE)
            .annotate(last_by_me=Max("events__received_at", filter=Q(events__actor_id=user.get_username())))
            .select_related("item")
            .order_by(F("last_by_me").desc(nulls_last=True), F("decided_at").desc(nulls_last=True), "-id"))


@login_required
@require_http_methods(["GET", "POST"])
def device(request, window: int):
    window = get_object_or_404(Window.objects.select_related("hall"), pk=window, is_active=True)
    if not policy.can_use_device(request.user, window):
        raise PermissionDenied
    template = "feedback/public/device.html"
    candidates = device_cases(window, request.user)
    if request.method == "POST":
        form = DeviceRatingForm(request.POST)
        if form.is_valid():
            case = candidates.filter(pk=form.cleaned_data["case"]).first()
            if case is None:
                form.add_error(None, _("该办件不能在本窗口评价，或已评价。"))
            else:
                try:
                    services.submit_rating(case=case, channel=RatingChannel.DEVICE, level=form.cleaned_data["level"],
                                           scores=form.scores(), comment=form.cleaned_data["comment"],
                                           window=window, recorded_by=request.user)
                except services.FeedbackError as exc:
                    form.add_error(None, exc.message)
                else:
                    return redirect(f"{request.path}?thanks=1")
        case = candidates.filter(pk=form.data.get("case") or 0).first()
        return _render(request, template, {"window": window, "form": form, "case": case,
                                           "candidates": candidates[:10]}, status=400)
    chosen = request.GET.get("case")
    case = candidates.filter(pk=chosen).first() if chosen and chosen.isdigit() else candidates.first()
    form = DeviceRatingForm(initial={"case": case.pk if case else None})
    return _render(request, template, {"window": window, "form": form, "case": case,
                                       "candidates": candidates[:10], "thanks": request.GET.get("thanks")})
