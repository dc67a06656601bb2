"""Workbench actions. Each one checks the actor's posts, builds the events and records them through the case
engine's single write path (``cases.services.record_event_or_raise``) inside one transaction, then keeps the
workbench's own paperwork rows (checklists, notices, requests) in step.

Views stay thin: they parse a form, call one function here and show :class:`ActionError` messages.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, CaseStep, EventType, StepStatus
from xiaoneng.catalog.models import HandlingType, ItemVersion
from xiaoneng.org.models import Hall, HallLevel, Post

from .access import Actor
from .models import (
    NOTICE_PREFIX,
    AgentRoute,
    CorrectionNotice,
    DeemedConsent,
    ExtensionRequest,
    Forwarding,
    HandledLog,
    MaterialCheck,
    NoticeKind,
    PrintedNotice,
    RequestStatus,
    StepClaim,
)

SPECIAL_REASONS = [
    ("hearing", "听证"),
    ("tender", "招标"),
    ("auction", "拍卖"),
    ("inspection", "检验"),
    ("testing", "检测"),
    ("quarantine", "检疫"),
    ("appraisal", "鉴定"),
    ("expert_review", "专家评审"),
    ("other", "其他"),
]
DELIVERY_METHODS = [("window", "窗口领取"), ("mail", "邮寄送达"), ("online", "网上送达")]
# Posts that handle a case in its department beyond the window (special procedure, extension request).
HANDLER_POSTS = (Post.REVIEWER1, Post.REVIEWER2, Post.DECIDER, Post.SECTION_CHIEF, Post.CHIEF_REP)
WINDOW_POSTS = (Post.ACCEPTOR, Post.CHIEF_REP)
SYSTEM_ACTOR = "system"


class ActionError(Exception):
    """A refused action, with a message for the user (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def now() -> datetime:
    return timezone.now()


def _engine():
    from xiaoneng.cases import services  # the case engine (single write path)

    return services


def _event(case_no: str, type_: str, actor: Actor | None, *, department_id: int | None = None,
           post: str | None = None, payload=None, at: datetime | None = None, **extra):
    engine = _engine()
    user = actor.user if actor else None
    acting_for = actor.acting_for(department_id, post) if (actor and department_id and post) else ""
    return engine.NewEvent(
        case_no=case_no,
        type=type_,
        occurred_at=at or now(),
        actor_id=user.username if user else SYSTEM_ACTOR,
        actor_name=(user.display_name if user else _("系统")),
        acting_for=acting_for,
        payload=dict(payload or {}),
        **extra,
    )


def _record(events: Sequence) -> Case:
    """Record events in order, all or nothing; an engine refusal becomes an ActionError."""
    engine = _engine()
    case = None
    try:
        with transaction.atomic():
            for event in events:
                case = engine.record_event_or_raise(event)
    except engine.EventRejected as exc:
        error = getattr(exc, "error", None)
        raise ActionError(_("系统拒绝了该操作：%(msg)s") % {"msg": getattr(error, "message", str(exc))}) from exc
    return case


def _log(actor: Actor, case: Case, action: str, label: str = "", acting_for: str = "") -> None:
    if actor and getattr(actor.user, "pk", None):
        HandledLog.objects.create(user=actor.user, case=case, action=action, label=label[:128],
                                  acting_for=acting_for)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ActionError(message)


def _refresh(case: Case) -> Case:
    return Case.objects.select_related("department__region", "item", "item_version").get(pk=case.pk)


# --- case numbers and notices ----------------------------------------------------------------------------------


def new_case_no(department, at: datetime | None = None) -> str:
    """办件编号 from the case engine when it offers one, else region code + date + random sequence."""
    engine = _engine()
    region_code = department.region.code
    day = timezone.localdate(at or now())
    maker = getattr(engine, "next_case_no", None)
    if maker is not None:
        return maker(region_code, day)
    return f"{region_code}{day:%Y%m%d}{secrets.randbelow(10**6):06d}"


def issue_notice(case: Case, kind: str, content: dict | None = None) -> PrintedNotice:
    """Number a written notice once per (case, kind): 〔year〕seq per department and kind."""
    existing = PrintedNotice.objects.filter(case=case, kind=kind).first()
    if existing:
        return existing
    year = timezone.localtime(now()).year
    department = case.department
    for _attempt in range(5):
        seq = (PrintedNotice.objects.filter(department=department, kind=kind, year=year)
               .aggregate(m=Max("seq"))["m"] or 0) + 1
        prefix = department.short_name or department.code
        number = f"{prefix}{NOTICE_PREFIX[kind]}字〔{year}〕第{seq:04d}号"
        try:
            with transaction.atomic():
                return PrintedNotice.objects.create(case=case, department=department, kind=kind, year=year,
                                                    seq=seq, number=number, content=content or {})
        except IntegrityError:
            existing = PrintedNotice.objects.filter(case=case, kind=kind).first()
            if existing:
                return existing
    raise ActionError(_("文书编号分配冲突，请重试。"))


# --- steps -----------------------------------------------------------------------------------------------------


def active_steps(case: Case) -> list[CaseStep]:
    return list(CaseStep.objects.filter(case=case, status=StepStatus.ACTIVE).order_by("order"))


def actionable_steps(actor: Actor, case: Case) -> list[CaseStep]:
    """The running steps of the case the actor may act on (by department and post)."""
    if not case.is_open:
        return []
    return [s for s in active_steps(case) if actor.superuser or (s.department_id, s.post) in actor.pairs]


def _step_for(actor: Actor, case: Case, code: str) -> CaseStep:
    for step in actionable_steps(actor, case):
        if step.code == code:
            return step
    raise ActionError(_("该环节当前不由您办理，或已由他人办理。"))


def claim_of(case: Case, step: CaseStep) -> StepClaim | None:
    if step.started_at is None:
        return None
    return StepClaim.objects.filter(case=case, step_code=step.code, step_started_at=step.started_at) \
        .select_related("user").first()


def claim_step(actor: Actor, case: Case, code: str) -> StepClaim:
    step = _step_for(actor, case, code)
    _require(step.started_at is not None, _("该环节尚未开始。"))
    existing = claim_of(case, step)
    if existing:
        _require(existing.user_id == actor.user.pk, _("该环节已由 %(name)s 签收。") % {"name": existing.user})
        return existing
    holder = actor.acting_for(step.department_id, step.post)
    from xiaoneng.org.models import User

    claim = StepClaim.objects.create(
        case=case, step_code=step.code, step_started_at=step.started_at, user=actor.user,
        acting_for=User.objects.filter(username=holder).first() if holder else None,
    )
    _log(actor, case, "claim", _("签收：%(step)s") % {"step": step.name}, holder)
    return claim


def _check_claim(actor: Actor, case: Case, step: CaseStep) -> None:
    claim = claim_of(case, step)
    if claim and claim.user_id != actor.user.pk:
        holder = actor.acting_for(step.department_id, step.post)
        allowed = holder and claim.user.username == holder
        _require(bool(allowed), _("该环节已由 %(name)s 签收，不能重复办理。") % {"name": claim.user})


def complete_step(actor: Actor, case: Case, code: str, outcome: str, opinion: str) -> Case:
    """Pass (通过) or return (退回上一环节) the running step ``code``."""
    _require(outcome in ("pass", "return"), _("办理意见无效。"))
    step = _step_for(actor, case, code)
    if step.post == Post.DECIDER and outcome == "pass" and step.department_id == case.department_id:
        raise ActionError(_("决定环节请使用“办结决定”。"))
    _check_claim(actor, case, step)
    _require(bool(opinion.strip()) or outcome == "pass", _("退回时必须填写意见。"))
    event = _event(case.case_no, EventType.STEP_COMPLETED, actor, department_id=step.department_id,
                   post=step.post, payload={"step": step.code, "outcome": outcome, "opinion": opinion.strip()})
    case = _record([event])
    if outcome == "pass" and step.post in WINDOW_POSTS and case.accepted_at is not None:
        issue_notice(case, NoticeKind.ACCEPTANCE)  # e.g. a deemed acceptance (视为受理) confirmed at the window
    _log(actor, case, "step_completed",
         (_("通过：%(step)s") if outcome == "pass" else _("退回：%(step)s")) % {"step": step.name},
         event.acting_for)
    return case


# --- window: registration, acceptance, rejection, correction ---------------------------------------------------


def published_version(item) -> ItemVersion:
    version = item.current_version
    _require(version is not None and version.status == "published", _("该事项没有现行发布版本，不能申办。"))
    return version


def _submitted_event(actor: Actor, version: ItemVersion, case_no: str, *, applicant_type: str,
                     applicant_name: str, id_no: str, phone: str, channel: str, hall: Hall | None,
                     agent=None, post: str = Post.ACCEPTOR, at=None):
    department = version.item.department
    case_fields = {"channel": channel, "applicant_phone": phone}
    if hall is not None:
        case_fields["hall_id"] = hall.pk
    if agent is not None:
        case_fields["agent_id"] = agent.pk
    return _event(
        case_no, EventType.SUBMITTED, actor, department_id=department.pk, post=post,
        payload={"applicant": {"type": applicant_type, "name": applicant_name, "id_no": id_no},
                 "channel": channel},
        item_code=version.item.code, department_code=department.code, case_fields=case_fields, at=at,
    )


def _checklist(case: Case, version: ItemVersion, received_ids: Iterable[int], at) -> None:
    received = {int(i) for i in received_ids}
    MaterialCheck.objects.bulk_create([
        MaterialCheck(case=case, order=m.order, name=m.name, form=m.form, copies=m.copies, required=m.required,
                      received=m.pk in received, received_at=at if m.pk in received else None)
        for m in version.materials.all()
    ])


def register(actor: Actor, version: ItemVersion, *, applicant_type: str, applicant_name: str, id_no: str,
             phone: str = "", channel: str = "window", hall: Hall | None = None,
             received_material_ids: Iterable[int] = ()) -> Case:
    """申办登记 at the window: the ``submitted`` event and the materials checklist."""
    department = version.item.department
    _require(actor.superuser or actor.has(department.pk, *WINDOW_POSTS), _("您不是该部门的受理人员。"))
    at = now()
    case_no = new_case_no(department, at)
    event = _submitted_event(actor, version, case_no, applicant_type=applicant_type,
                             applicant_name=applicant_name, id_no=id_no, phone=phone, channel=channel,
                             hall=hall, at=at)
    with transaction.atomic():
        case = _record([event])
        _checklist(case, version, received_material_ids, at)
        _log(actor, case, "submitted", _("申办登记"), event.acting_for)
    return case


def _window(actor: Actor, case: Case) -> str:
    _require(actor.superuser or actor.has(case.department_id, *WINDOW_POSTS), _("您不是该部门的受理人员。"))
    return Post.ACCEPTOR if actor.superuser or actor.has(case.department_id, Post.ACCEPTOR) else Post.CHIEF_REP


def _first_step_events(actor: Actor, case: Case, at) -> list:
    """The acceptance completes the 受理 step when the item's first step belongs to the window."""
    first = case.item_version.steps.order_by("order").first()
    if first is None or first.post not in WINDOW_POSTS or first.department_id not in (None, case.department_id):
        return []
    return [_event(case.case_no, EventType.STEP_COMPLETED, actor, department_id=case.department_id,
                   post=first.post, payload={"step": first.code, "outcome": "pass", "opinion": _("予以受理")},
                   at=at)]


def accept(actor: Actor, case: Case) -> Case:
    post = _window(actor, case)
    _require(case.status == CaseStatus.SUBMITTED, _("只有待受理的申请才能受理。"))
    at = now()
    accepted = _event(case.case_no, EventType.ACCEPTED, actor, department_id=case.department_id, post=post, at=at)
    with transaction.atomic():
        case = _record([accepted, *_first_step_events(actor, case, at)])
        MaterialCheck.objects.filter(case=case, received=False).update(received=True, received_at=at)
        issue_notice(case, NoticeKind.ACCEPTANCE)
        _log(actor, case, "accepted", _("受理"), accepted.acting_for)
    return case


def reject(actor: Actor, case: Case, reason: str) -> Case:
    post = _window(actor, case)
    _require(case.status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION), _("该申请已不在受理阶段。"))
    _require(bool(reason.strip()), _("不予受理必须说明理由。"))
    event = _event(case.case_no, EventType.REJECTED, actor, department_id=case.department_id, post=post,
                   payload={"reason": reason.strip()})
    with transaction.atomic():
        case = _record([event])
        issue_notice(case, NoticeKind.REJECTION, {"reason": reason.strip()})
        _log(actor, case, "rejected", _("不予受理"), event.acting_for)
    return case


def request_correction(actor: Actor, case: Case, materials: list[str], note: str = "") -> Case:
    """一次性告知: one complete correction notice per application; a second one is refused."""
    materials = [m.strip() for m in materials if m and m.strip()]
    if case.status == CaseStatus.SUBMITTED:
        post = _window(actor, case)
    else:
        _require(case.status == CaseStatus.ACCEPTED, _("当前状态不能发出补正告知。"))
        step = next((s for s in actionable_steps(actor, case) if s.department_id == case.department_id), None)
        _require(step is not None, _("该办件当前不由您办理（补正告知由主办部门出具）。"))
        post = step.post
    _require(not CorrectionNotice.objects.filter(case=case).exists(),
             _("一次性告知：该申请已发出过补正告知书，不得再次要求补正。"))
    _require(bool(materials), _("请列出全部需要补正的材料。"))
    event = _event(case.case_no, EventType.CORRECTION_REQUESTED, actor, department_id=case.department_id,
                   post=post, payload={"materials": materials})
    with transaction.atomic():
        case = _record([event])
        CorrectionNotice.objects.create(case=case, materials=materials, note=note, issued_by=actor.user,
                                        issued_at=event.occurred_at)
        issue_notice(case, NoticeKind.CORRECTION, {"materials": materials, "note": note})
        _log(actor, case, "correction_requested", _("补正告知"), event.acting_for)
    return case


def complete_correction(actor: Actor, case: Case) -> Case:
    notice = CorrectionNotice.objects.filter(case=case, completed_at__isnull=True).first()
    _require(notice is not None, _("该申请没有待补正的告知。"))
    if case.status == CaseStatus.CORRECTION:
        post = _window(actor, case)
    else:
        steps = [s for s in actionable_steps(actor, case) if s.department_id == case.department_id]
        post = steps[0].post if steps else _window(actor, case)
    event = _event(case.case_no, EventType.CORRECTION_COMPLETED, actor, department_id=case.department_id,
                   post=post)
    with transaction.atomic():
        case = _record([event])
        notice.completed_at = event.occurred_at
        notice.save(update_fields=["completed_at"])
        MaterialCheck.objects.filter(case=case, received=False).update(received=True, received_at=event.occurred_at)
        _log(actor, case, "correction_completed", _("补正材料已收齐"), event.acting_for)
    return case


def withdraw(actor: Actor, case: Case, reason: str) -> Case:
    post = _window(actor, case)
    _require(case.is_open, _("办件已终结，不能撤回。"))
    _require(bool(reason.strip()), _("请填写撤回原因（申请人申请撤回）。"))
    event = _event(case.case_no, EventType.WITHDRAWN, actor, department_id=case.department_id, post=post,
                   payload={"reason": reason.strip()})
    case = _record([event])
    _log(actor, case, "withdrawn", _("撤回"), event.acting_for)
    return case


# --- special procedures, extension, fees -----------------------------------------------------------------------


def _handler_post(actor: Actor, case: Case) -> str:
    if actor.superuser:
        return Post.REVIEWER1
    for step in actionable_steps(actor, case):
        if step.department_id == case.department_id:
            return step.post
    posts = actor.posts_in(case.department_id)
    for post in HANDLER_POSTS:
        if post in posts:
            return post
    raise ActionError(_("您不是该办件的承办人员。"))


def open_specials(case: Case) -> list[dict]:
    return [sp for sp in (case.clock or {}).get("specials", []) if not sp.get("ended_at")]


def start_special(actor: Actor, case: Case, reason: str, workdays: int, note: str = "") -> Case:
    post = _handler_post(actor, case)
    _require(case.status == CaseStatus.ACCEPTED, _("只有办理中的办件才能启动特别程序。"))
    _require(reason in dict(SPECIAL_REASONS), _("请选择特别程序事由。"))
    _require(int(workdays) >= 1, _("特别程序时限至少 1 个工作日。"))
    payload = {"reason": reason, "workdays": int(workdays)}
    if note.strip():
        payload["note"] = note.strip()
    event = _event(case.case_no, EventType.SUSPENDED, actor, department_id=case.department_id, post=post,
                   payload=payload)
    case = _record([event])
    _log(actor, case, "suspended", _("特别程序开始：%(r)s") % {"r": dict(SPECIAL_REASONS)[reason]}, event.acting_for)
    return case


def end_special(actor: Actor, case: Case, result: str) -> Case:
    post = _handler_post(actor, case)
    _require(case.status == CaseStatus.SUSPENDED, _("该办件没有进行中的特别程序。"))
    _require(bool(result.strip()), _("请填写特别程序结果。"))
    event = _event(case.case_no, EventType.RESUMED, actor, department_id=case.department_id, post=post,
                   payload={"result": result.strip()})
    case = _record([event])
    _log(actor, case, "resumed", _("特别程序结束"), event.acting_for)
    return case


def request_extension(actor: Actor, case: Case, workdays: int, reason: str) -> ExtensionRequest:
    _handler_post(actor, case)
    _require(case.status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED), _("只有办理中的办件才能申请延期。"))
    _require(case.extended_days == 0 and not ExtensionRequest.objects.filter(
        case=case, status__in=[RequestStatus.PENDING, RequestStatus.APPROVED]).exists(),
        _("延期只能申请一次。"))
    maximum = case.item_version.max_extension_days
    _require(1 <= int(workdays) <= maximum, _("延期天数应为 1 至 %(n)s 个工作日。") % {"n": maximum})
    _require(bool(reason.strip()), _("请填写延期理由。"))
    request = ExtensionRequest.objects.create(case=case, department=case.department, workdays=int(workdays),
                                              reason=reason.strip(), requested_by=actor.user)
    _log(actor, case, "extension_requested", _("申请延期 %(n)s 个工作日") % {"n": workdays})
    return request


def decide_extension(actor: Actor, request: ExtensionRequest, approve: bool, note: str = "") -> Case:
    case = request.case
    _require(actor.superuser or actor.has(request.department_id, Post.LEADER), _("延期须由部门领导审批。"))
    _require(request.status == RequestStatus.PENDING, _("该延期申请已处理。"))
    at = now()
    with transaction.atomic():
        if approve:
            _require(case.is_open, _("办件已终结，不能延期。"))
            event = _event(case.case_no, EventType.EXTENDED, actor, department_id=request.department_id,
                           post=Post.LEADER, at=at,
                           payload={"workdays": request.workdays, "approver": actor.user.display_name,
                                    "reason": request.reason})
            case = _record([event])
        request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor.user, at, note.strip()[:255]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _log(actor, case, "extension_decided", _("批准延期") if approve else _("不批准延期"))
    return case


def charge_fee(actor: Actor, case: Case, fee_code: str) -> Case:
    """收费: only items of the published fee list of the case's item version, at the listed amount."""
    _require(actor.superuser or actor.has(case.department_id, Post.ACCEPTOR, Post.NOTIFIER, Post.CHIEF_REP),
             _("您不是该部门的收费人员。"))
    _require(case.status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED, CaseStatus.DECIDED),
             _("当前状态不能收费。"))
    fee = case.item_version.fees.filter(code=fee_code).first()
    _require(fee is not None, _("该收费项目不在本事项公示的收费目录中，不得收费。"))
    post = Post.ACCEPTOR if actor.has(case.department_id, Post.ACCEPTOR) else (
        Post.NOTIFIER if actor.has(case.department_id, Post.NOTIFIER) else Post.CHIEF_REP)
    event = _event(case.case_no, EventType.FEE_CHARGED, actor, department_id=case.department_id, post=post,
                   payload={"fee_code": fee.code, "amount": f"{Decimal(fee.amount):.2f}"})
    case = _record([event])
    _log(actor, case, "fee_charged", _("收费：%(name)s %(amount)s 元") % {"name": fee.name, "amount": fee.amount},
         event.acting_for)
    return case


# --- decision, delivery ----------------------------------------------------------------------------------------


def decision_step(actor: Actor, case: Case) -> CaseStep | None:
    """The running decide step the actor may decide on (own department's decider, or the 上报 recipient)."""
    if not case.is_open or case.status == CaseStatus.SUSPENDED:
        return None
    forwarding = Forwarding.objects.filter(case=case).first()
    if forwarding is not None:
        if not (actor.superuser or actor.has(forwarding.to_department_id, Post.DECIDER, Post.CHIEF_REP)):
            return None
        steps = [s for s in active_steps(case) if s.post == Post.DECIDER]
        return steps[0] if steps else CaseStep(case=case, code="", name=_("上级决定"), post=Post.DECIDER,
                                                department_id=forwarding.to_department_id)
    for step in actionable_steps(actor, case):
        if step.post == Post.DECIDER and step.department_id == case.department_id:
            return step
    if case.status == CaseStatus.ACCEPTED and not case.item_version.steps.exists() and \
            (actor.superuser or actor.has(case.department_id, Post.DECIDER)):
        return CaseStep(case=case, code="", name=_("决定"), post=Post.DECIDER, department_id=case.department_id)
    return None


def decide(actor: Actor, case: Case, result: str, reason: str, document_no: str, opinion: str = "") -> Case:
    _require(result in ("approved", "denied"), _("请选择办理结果。"))
    _require(result == "approved" or bool(reason.strip()), _("不予许可必须说明理由。"))
    step = decision_step(actor, case)
    _require(step is not None, _("该办件当前不在您的决定环节。"))
    if step.pk:
        _check_claim(actor, case, step)
    at = now()
    events = []
    if step.code:
        events.append(_event(case.case_no, EventType.STEP_COMPLETED, actor, department_id=step.department_id,
                             post=step.post, at=at,
                             payload={"step": step.code, "outcome": "pass",
                                      "opinion": opinion.strip() or (_("准予许可") if result == "approved"
                                                                     else reason.strip())}))
    payload = {"result": result, "document_no": document_no.strip()}
    if reason.strip():
        payload["reason"] = reason.strip()
    decided = _event(case.case_no, EventType.DECIDED, actor, department_id=step.department_id, post=Post.DECIDER,
                     payload=payload, at=at)
    with transaction.atomic():
        case = _record([*events, decided])
        Forwarding.objects.filter(case=case, decided_at__isnull=True).update(decided_at=at)
        _log(actor, case, "decided", _("办结：准予") if result == "approved" else _("办结：不予"),
             decided.acting_for)
    return case


def deliver(actor: Actor, case: Case, method: str) -> Case:
    _require(method in dict(DELIVERY_METHODS), _("请选择送达方式。"))
    _require(case.status == CaseStatus.DECIDED, _("只有已办结的办件才能送达。"))
    _require(actor.superuser or actor.has(case.department_id, Post.NOTIFIER, Post.CHIEF_REP),
             _("您不是该部门的办结告知人员。"))
    post = Post.NOTIFIER if actor.superuser or actor.has(case.department_id, Post.NOTIFIER) else Post.CHIEF_REP
    at = now()
    # The engine closes the running steps (办结告知 included) at the decision: delivery is the ``delivered``
    # event alone (a step_completed after the decision would not change the projection).
    events = []
    delivered = _event(case.case_no, EventType.DELIVERED, actor, department_id=case.department_id, post=post,
                       payload={"method": method}, at=at)
    case = _record([*events, delivered])
    _log(actor, case, "delivered", _("送达：%(m)s") % {"m": dict(DELIVERY_METHODS)[method]}, delivered.acting_for)
    return case


# --- 上报件 ------------------------------------------------------------------------------------------------------


def can_forward(actor: Actor, case: Case) -> bool:
    version = case.item_version
    if version.handling_type != HandlingType.REPORT or version.report_to_id is None:
        return False
    if case.status != CaseStatus.ACCEPTED or Forwarding.objects.filter(case=case).exists():
        return False
    return any(s.department_id == case.department_id for s in actionable_steps(actor, case))


def forward(actor: Actor, case: Case, opinion: str) -> Case:
    """上报: the current step holder forwards the case to the version's ``report_to`` department.

    The running step is completed (pass, with the opinion), a ``forwarded`` event names the higher department,
    and a Forwarding row puts the case into that department's inbox (上报件待决定), where its decider decides.
    """
    _require(can_forward(actor, case), _("该办件不能上报，或已上报。"))
    step = next(s for s in actionable_steps(actor, case) if s.department_id == case.department_id)
    _require(bool(opinion.strip()), _("请填写上报意见。"))
    to_department = case.item_version.report_to
    at = now()
    events = []
    if step.post != Post.DECIDER:
        events.append(_event(case.case_no, EventType.STEP_COMPLETED, actor, department_id=step.department_id,
                             post=step.post, at=at,
                             payload={"step": step.code, "outcome": "pass", "opinion": opinion.strip()}))
    forwarded = _event(case.case_no, EventType.FORWARDED, actor, department_id=step.department_id, post=step.post,
                       at=at, payload={"to_department": to_department.code, "opinion": opinion.strip()})
    with transaction.atomic():
        case = _record([*events, forwarded])
        Forwarding.objects.create(case=case, from_department=case.department, to_department=to_department,
                                  opinion=opinion.strip(), forwarded_by=actor.user, forwarded_at=at)
        _log(actor, case, "forwarded", _("上报至 %(d)s") % {"d": to_department.name}, forwarded.acting_for)
    return case


# --- 即办件 ------------------------------------------------------------------------------------------------------


def handle_instant(actor: Actor, version: ItemVersion, *, applicant_type: str, applicant_name: str, id_no: str,
                   phone: str, hall: Hall | None, received_material_ids: Iterable[int], document_no: str,
                   method: str, fee_codes: Iterable[str] = ()) -> Case:
    """即办件 in one screen: submitted + accepted + every step + decided (approved) + delivered, at once."""
    department = version.item.department
    _require(version.handling_type == HandlingType.INSTANT, _("该事项不是即办件。"))
    _require(actor.superuser or actor.has(department.pk, *WINDOW_POSTS), _("您不是该部门的受理人员。"))
    _require(method in dict(DELIVERY_METHODS), _("请选择送达方式。"))
    fees = {f.code: f for f in version.fees.all()}
    for code in fee_codes:
        _require(code in fees, _("该收费项目不在本事项公示的收费目录中，不得收费。"))
    post = Post.ACCEPTOR if actor.superuser or actor.has(department.pk, Post.ACCEPTOR) else Post.CHIEF_REP
    at = now()
    case_no = new_case_no(department, at)
    kw = {"department_id": department.pk, "post": post, "at": at}
    events = [_submitted_event(actor, version, case_no, applicant_type=applicant_type,
                               applicant_name=applicant_name, id_no=id_no, phone=phone, channel="window",
                               hall=hall, post=post, at=at),
              _event(case_no, EventType.ACCEPTED, actor, **kw)]
    for step in version.steps.order_by("order"):
        events.append(_event(case_no, EventType.STEP_COMPLETED, actor, **kw,
                             payload={"step": step.code, "outcome": "pass", "opinion": _("即办")}))
    for code in fee_codes:
        events.append(_event(case_no, EventType.FEE_CHARGED, actor, **kw,
                             payload={"fee_code": code, "amount": f"{Decimal(fees[code].amount):.2f}"}))
    events.append(_event(case_no, EventType.DECIDED, actor, **kw,
                         payload={"result": "approved", "document_no": document_no.strip()}))
    events.append(_event(case_no, EventType.DELIVERED, actor, **kw, payload={"method": method}))
    with transaction.atomic():
        case = _record(events)
        _checklist(case, version, received_material_ids, at)
        issue_notice(case, NoticeKind.ACCEPTANCE)
        _log(actor, case, "instant", _("即办件当场办结"), events[0].acting_for)
    return case


# --- village agent (代办) ----------------------------------------------------------------------------------------


def agent_hall(actor: Actor) -> Hall | None:
    from xiaoneng.org.models import PostAssignment

    assignment = PostAssignment.objects.filter(user=actor.user, post=Post.AGENT, is_active=True) \
        .select_related("hall").first()
    return assignment.hall if assignment else None


def route_hall(from_hall: Hall | None, department) -> Hall | None:
    """Where a village agent's submission goes: up the Hall.parent chain from the village service room, the first
    hall with a window of the item's department (usually the township hall for township matters); if none has
    one, the county hall at the top of the chain (the county window). Without a hall, None (the department)."""
    if from_hall is None:
        return None
    chain = []
    hall = from_hall.parent
    while hall is not None and len(chain) < 5:
        chain.append(hall)
        hall = hall.parent
    for hall in chain:
        if hall.windows.filter(departments=department, is_active=True).exists():
            return hall
    county = [h for h in chain if h.level == HallLevel.COUNTY]
    return county[0] if county else (chain[-1] if chain else None)


def agent_submit(actor: Actor, version: ItemVersion, *, applicant_type: str, applicant_name: str, id_no: str,
                 phone: str, received_material_ids: Iterable[int], note: str = "") -> Case:
    """代办员 submits for a villager: channel agent, agent = the user; routed to the township / county hall."""
    _require(actor.is_agent or actor.superuser, _("您不是代办员。"))
    _require(version.online, _("该事项不支持代办申报，请到窗口办理。"))
    department = version.item.department
    from_hall = agent_hall(actor)
    to_hall = route_hall(from_hall, department)
    at = now()
    case_no = new_case_no(department, at)
    event = _submitted_event(actor, version, case_no, applicant_type=applicant_type, applicant_name=applicant_name,
                             id_no=id_no, phone=phone, channel="agent", hall=to_hall, agent=actor.user,
                             post=Post.AGENT, at=at)
    with transaction.atomic():
        case = _record([event])
        _checklist(case, version, received_material_ids, at)
        AgentRoute.objects.create(case=case, agent=actor.user, from_hall=from_hall, to_hall=to_hall,
                                  submitted_at=at, villager_note=note[:255])
        _log(actor, case, "agent_submitted", _("代办受理并传送"))
    return case


def agent_stage(case: Case) -> str:
    """受理 → 传送 → 回复, as the agent's list shows it."""
    if case.status in (CaseStatus.DECIDED, CaseStatus.DELIVERED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN,
                       CaseStatus.RETURNED):
        return "replied"
    if case.status == CaseStatus.CORRECTION:
        return "replied"
    if case.status == CaseStatus.SUBMITTED:
        return "transmitted"
    return "accepted"


# --- 并联审批: 超时默认 ------------------------------------------------------------------------------------------


def deemed_consent(at: datetime | None = None) -> int:
    """Periodic job ``workbench.deemed_consent``: a co-department's parallel step whose due has passed without an
    answer is deemed to agree (超时默认) — recorded as a ``step_completed`` by actor "system" with
    ``by_default: true`` at the instant it was deemed (due + 1 s). Idempotent: each step round gets one
    DeemedConsent marker (unique) and a deterministic event id (a retry is a ``duplicate``)."""
    at = at or now()
    engine = _engine()
    marked = DeemedConsent.objects.filter(case_id=OuterRef("case_id"), step_code=OuterRef("code"),
                                          step_started_at=OuterRef("started_at"))
    answered = (CaseEvent.objects.filter(case_id=OuterRef("case_id"), type=EventType.STEP_COMPLETED,
                                         occurred_at__gte=OuterRef("started_at"))
                .annotate(step_code=KeyTextTransform("step", "payload")).filter(step_code=OuterRef("code")))
    candidates = list(
        CaseStep.objects.filter(status__in=[StepStatus.ACTIVE, StepStatus.BY_DEFAULT], due__lt=at,
                                started_at__isnull=False, case__status__in=OPEN_STATUSES)
        .exclude(parallel_group="")
        .exclude(Exists(marked))
        .exclude(Exists(answered))
        .select_related("case")
        .order_by("due")[:500]
    )
    recorded = 0
    for step in candidates:
        case = step.case
        occurred = min(at, step.due + timedelta(seconds=1))
        event = engine.NewEvent(
            case_no=case.case_no, type=EventType.STEP_COMPLETED, occurred_at=occurred,
            event_id=f"deemed-{case.pk}-{step.code}-{int(step.started_at.timestamp())}",
            actor_id=SYSTEM_ACTOR, actor_name=_("系统（超时默认）"),
            payload={"step": step.code, "outcome": "pass", "opinion": "超时默认同意", "by_default": True},
        )
        with transaction.atomic():
            result = engine.record_event(event)
            if result.status in ("accepted", "duplicate"):
                DeemedConsent.objects.get_or_create(case=case, step_code=step.code,
                                                    step_started_at=step.started_at,
                                                    defaults={"deemed_at": occurred})
        if result.status == "accepted":
            recorded += 1
    return recorded
