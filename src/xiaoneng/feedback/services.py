"""The only write path for feedback items. Every state change records a FeedbackTransition and recomputes the
item's deadlines, ``next_check_at`` and ``clock_state`` (:mod:`xiaoneng.feedback.deadlines`).

Functions take an explicit ``now`` (default: ``timezone.now()``) so that tests and imports can replay time.
Permission checks are the caller's (views use :mod:`xiaoneng.feedback.policy`); these functions validate the
state machine and raise :class:`FeedbackError` with a Chinese message on an invalid transition.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases.models import Case, CaseStatus
from xiaoneng.core.crypto import encrypt
from xiaoneng.org.models import Department, DepartmentKind, Region, Window

from . import conf, deadlines
from .models import (
    BAD_LEVEL_MAX,
    AppealStatus,
    BadRatingStage,
    CallbackResult,
    Complaint,
    ComplaintAttachment,
    ComplaintResult,
    ComplaintStatus,
    ComplaintTarget,
    ComplaintType,
    Consultation,
    ConsultationStatus,
    FeedbackTransition,
    Rating,
    RatingChannel,
    SubjectType,
)

RATEABLE_STATUSES = (CaseStatus.DECIDED, CaseStatus.DELIVERED)
logger = logging.getLogger("xiaoneng.feedback")


class FeedbackError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- helpers ----------------------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def calendar_for(region_code: str):
    from xiaoneng.workcal.selectors import UnknownRegion, get_calendar

    try:
        return get_calendar(region_code or None)
    except UnknownRegion:
        return get_calendar(None)


def _actor_name(user) -> str:
    return getattr(user, "display_name", "") if user is not None else ""


def record(subject_type: str, obj, action: str, from_status: str, to_status: str, user=None, note: str = "",
           at: datetime | None = None) -> FeedbackTransition:
    return FeedbackTransition.objects.create(
        subject_type=subject_type, subject_id=obj.pk, action=action, from_status=from_status or "",
        to_status=to_status or "", actor=user if user is not None and user.is_authenticated else None,
        actor_name=_actor_name(user), at=_now(at), note=note or "",
    )


def history(obj) -> list[FeedbackTransition]:
    kind = {Consultation: SubjectType.CONSULTATION, Complaint: SubjectType.COMPLAINT, Rating: SubjectType.RATING}
    return list(FeedbackTransition.objects.filter(subject_type=kind[type(obj)], subject_id=obj.pk)
                .select_related("actor"))


def _receipt_no(prefix: str, now: datetime) -> str:
    local = timezone.localtime(now)
    return f"{prefix}{local:%Y%m%d}{secrets.randbelow(10**8):08d}"


def _create_with_receipt(model, prefix: str, now: datetime, **fields):
    for _attempt in range(8):
        try:
            with transaction.atomic():
                return model.objects.create(receipt_no=_receipt_no(prefix, now), **fields)
        except IntegrityError:
            if _attempt == 7:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _last4(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:]


def raise_cards_on_close(obj, now: datetime) -> None:
    """Domain-rules §3: time rules are evaluated when a subject closes too, so a late close carries its cards
    even if no sweep ran in between (``supervision.services.raise_passed``; idempotent). Best effort in a
    savepoint: the transition is never lost, and ``next_check_at = now`` lets the next sweep catch up."""
    if not any(_passed(d, now) for d in obj.deadlines or ()):
        return
    try:
        from xiaoneng.supervision.services import raise_passed
    except ImportError:  # pragma: no cover - supervision is always installed
        return
    try:
        with transaction.atomic():
            raise_passed(obj._meta.label_lower, [obj.pk], now=now)
    except Exception:  # noqa: BLE001 - the sweep raises them later
        logger.exception("raising cards for %s %s failed; the sweep will retry", obj._meta.label_lower, obj.pk)


def _passed(deadline: dict, now: datetime) -> bool:
    try:
        return datetime.fromisoformat(deadline["at"]) <= now
    except (KeyError, TypeError, ValueError):
        return False


def _apply(obj, projection: deadlines.Projection) -> None:
    obj.deadlines = projection.deadlines_json()
    obj.next_check_at = projection.next_check_at
    obj.clock_state = projection.state


# --- deadline refreshers (pure computation + assignment; the caller saves) ---------------------------------------


def refresh_consultation(c: Consultation, now: datetime | None = None) -> None:
    now = _now(now)
    cal = calendar_for(c.region_code)
    subjects = deadlines.consultation_subjects(
        cal, c.received_at, c.replied_at, days=conf.get("XN_FEEDBACK_CONSULTATION_DAYS"))
    c.reply_due = subjects[0].due
    _apply(c, deadlines.project(cal, subjects, now))


def refresh_complaint(c: Complaint, now: datetime | None = None) -> None:
    now = _now(now)
    cal = calendar_for(c.region_code)
    subjects = deadlines.complaint_subjects(
        cal, c.received_at, c.accepted_at, c.declined_at, c.resolved_at,
        accept_days=conf.get("XN_FEEDBACK_COMPLAINT_ACCEPT_DAYS"),
        resolve_days=conf.get("XN_FEEDBACK_COMPLAINT_RESOLVE_DAYS"),
    )
    c.accept_due = subjects[0].due
    c.resolve_due = subjects[1].due if len(subjects) > 1 else None
    _apply(c, deadlines.project(cal, subjects, now))


def refresh_rating(r: Rating, now: datetime | None = None) -> None:
    now = _now(now)
    cal = calendar_for(r.region_code)
    subjects = deadlines.rectification_subjects(
        cal, r.rated_at, r.is_bad, r.rectified_at, r.removed_at, days=conf.get("XN_FEEDBACK_RECTIFY_DAYS"))
    r.rectify_due = subjects[0].due if subjects else None
    _apply(r, deadlines.project(cal, subjects, now))


REFRESHERS = {Consultation: refresh_consultation, Complaint: refresh_complaint, Rating: refresh_rating}


def refresh(obj, now: datetime | None = None, save: bool = True) -> None:
    """Recompute an item's deadlines (e.g. after a calendar change) and save the supervision fields."""
    REFRESHERS[type(obj)](obj, now)
    if save:
        fields = ["deadlines", "next_check_at", "clock_state"]
        fields += {Consultation: ["reply_due"], Complaint: ["accept_due", "resolve_due"],
                   Rating: ["rectify_due"]}[type(obj)]
        obj.save(update_fields=fields)


# --- consultations ------------------------------------------------------------------------------------------------


@transaction.atomic
def submit_consultation(*, department: Department, question: str, asker_name: str, phone: str = "",
                        item=None, publish_consent: bool = False, now: datetime | None = None) -> Consultation:
    now = _now(now)
    if item is not None:
        department = item.department
    c = Consultation(
        department=department, item=item, question=question, asker_name=asker_name,
        phone_cipher=encrypt(phone), phone_last4=_last4(phone), publish_consent=publish_consent,
        received_at=now, region_code=department.region.code,
    )
    refresh_consultation(c, now)
    fields = {f.name: getattr(c, f.name) for f in Consultation._meta.concrete_fields
              if f.name not in ("id", "receipt_no")}
    c = _create_with_receipt(Consultation, "ZX", now, **fields)
    record(SubjectType.CONSULTATION, c, "submit", "", c.status, None, "", now)
    return c


@transaction.atomic
def reply_consultation(c: Consultation, *, user, reply: str, publish: bool = False,
                       now: datetime | None = None) -> Consultation:
    now = _now(now)
    c = Consultation.objects.select_for_update().get(pk=c.pk)
    if c.status != ConsultationStatus.RECEIVED:
        raise FeedbackError(_("该咨询已答复。"))
    if not reply.strip():
        raise FeedbackError(_("请填写答复内容。"), "reply")
    if publish and not c.publish_consent:
        raise FeedbackError(_("咨询人未同意公开，不能公开此问答。"), "publish")
    old = c.status
    c.reply, c.replied_by, c.replied_at, c.status = reply, user, now, ConsultationStatus.REPLIED
    if publish:
        c.is_public, c.published_at = True, now
    refresh_consultation(c, now)
    c.save()
    record(SubjectType.CONSULTATION, c, "reply", old, c.status, user, "公开" if publish else "", now)
    raise_cards_on_close(c, now)
    return c


@transaction.atomic
def set_consultation_public(c: Consultation, *, user, public: bool, now: datetime | None = None) -> Consultation:
    now = _now(now)
    c = Consultation.objects.select_for_update().get(pk=c.pk)
    if public and (c.status != ConsultationStatus.REPLIED or not c.publish_consent):
        raise FeedbackError(_("只有已答复且咨询人同意公开的咨询才能公开。"))
    c.is_public = public
    c.published_at = now if public else None
    c.save(update_fields=["is_public", "published_at"])
    record(SubjectType.CONSULTATION, c, "publish" if public else "unpublish", c.status, c.status, user, "", now)
    return c


# --- complaints ---------------------------------------------------------------------------------------------------


def _region_chain(region: Region | None) -> list[str]:
    if region is None:
        code = getattr(settings, "XN_REGION_CODE", "")
        region = Region.objects.filter(code=code).first() if code else None
    if region is None:
        return []
    return [code for code in region.path.split("/") if code]


def _nearest(kind: str, region: Region | None) -> Department | None:
    chain = _region_chain(region)
    candidates = list(Department.objects.filter(kind=kind, is_active=True, region__code__in=chain)
                      .select_related("region")) if chain else []
    if candidates:
        depth = {code: i for i, code in enumerate(chain)}
        return max(candidates, key=lambda d: (depth[d.region.code], -d.pk))
    return None


def route_complaint(type: str, target_department: Department | None, window: Window | None) -> Department:
    """The handling department: irregular handling → the service centre; fees and extortion → the supervision
    office (the nearest one of the target's region and its ancestors); attitude / other → the target department
    (a window: the single department stationed there, else the service centre that runs the hall)."""
    region = target_department.region if target_department else (window.hall.region if window else None)
    routed = None
    if type == ComplaintType.IRREGULAR:
        routed = _nearest(DepartmentKind.SERVICE_CENTRE, region)
    elif type in (ComplaintType.FEES, ComplaintType.EXTORTION):
        routed = _nearest(DepartmentKind.SUPERVISION, region)
    else:
        routed = target_department
        if routed is None and window is not None:
            stationed = list(window.departments.all()[:2])
            routed = stationed[0] if len(stationed) == 1 else None
        routed = routed or _nearest(DepartmentKind.SERVICE_CENTRE, region)
    routed = (routed or target_department or _nearest(DepartmentKind.SERVICE_CENTRE, region)
              or _nearest(DepartmentKind.SUPERVISION, region)
              or Department.objects.filter(kind=DepartmentKind.SERVICE_CENTRE, is_active=True).first()
              or Department.objects.filter(kind=DepartmentKind.SUPERVISION, is_active=True).first())
    if routed is None:
        raise FeedbackError(_("暂时无法确定承办部门，请拨打政务服务投诉电话。"))
    return routed


def find_case(case_no: str, query_code: str = "") -> tuple[Case | None, bool]:
    """(case, verified): the case with this number if any, and whether the query code matched.

    The public is only ever told "linked" (verified) or "not linked", so the existence of a case number cannot
    be probed without its query code."""
    case_no = (case_no or "").strip()
    if not case_no:
        return None, False
    case = Case.objects.filter(case_no=case_no).select_related("department__region").first()
    if case is None:
        return None, False
    verified = bool(query_code and case.query_code
                    and hmac.compare_digest(query_code.strip().encode(), case.query_code.encode()))
    return case, verified


@transaction.atomic
def submit_complaint(*, type: str, target: str, description: str, phone: str, complainant_name: str = "",
                     case_no: str = "", query_code: str = "", target_department: Department | None = None,
                     window: Window | None = None, staff_name: str = "", files: Sequence = (),
                     now: datetime | None = None) -> Complaint:
    now = _now(now)
    case, verified = find_case(case_no, query_code) if target == ComplaintTarget.CASE else (None, False)
    if case is not None:
        target_department = case.department
    routed = route_complaint(type, target_department, window)
    c = Complaint(
        type=type, target=target, case_no_given=(case_no or "").strip()[:64], case=case, case_verified=verified,
        target_department=target_department, window=window, staff_name=staff_name, description=description,
        complainant_name=complainant_name, phone_cipher=encrypt(phone), phone_last4=_last4(phone),
        department=routed, received_at=now, region_code=routed.region.code,
    )
    refresh_complaint(c, now)
    fields = {f.name: getattr(c, f.name) for f in Complaint._meta.concrete_fields
              if f.name not in ("id", "receipt_no")}
    c = _create_with_receipt(Complaint, "TS", now, **fields)
    for upload in files:
        ComplaintAttachment.objects.create(
            complaint=c, file=upload, original_name=upload.name[:255],
            content_type=getattr(upload, "content_type", "") or "", size=upload.size, uploaded_at=now,
        )
    note = f"转 {routed.name}" if routed != target_department else ""
    record(SubjectType.COMPLAINT, c, "submit", "", c.status, None, note, now)
    return c


def _lock_complaint(c: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("department").get(pk=c.pk)


def _complaint_transition(c, user, action, to_status, note, now, **changes) -> Complaint:
    old = c.status
    for name, value in changes.items():
        setattr(c, name, value)
    c.status = to_status
    refresh_complaint(c, now)
    c.save()
    record(SubjectType.COMPLAINT, c, action, old, to_status, user, note, now)
    if action in ("accept", "decline", "resolve"):
        raise_cards_on_close(c, now)
    return c


@transaction.atomic
def accept_complaint(c: Complaint, *, user, note: str = "", assignee=None, now: datetime | None = None):
    now = _now(now)
    c = _lock_complaint(c)
    if c.status != ComplaintStatus.RECEIVED:
        raise FeedbackError(_("只有待受理的投诉可以受理。"))
    return _complaint_transition(c, user, "accept", ComplaintStatus.ACCEPTED, note, now, accepted_at=now,
                                 assigned_to=assignee or c.assigned_to)


@transaction.atomic
def decline_complaint(c: Complaint, *, user, reason: str, now: datetime | None = None):
    now = _now(now)
    c = _lock_complaint(c)
    if c.status != ComplaintStatus.RECEIVED:
        raise FeedbackError(_("只有待受理的投诉可以不予受理。"))
    if not reason.strip():
        raise FeedbackError(_("不予受理必须说明理由。"), "reason")
    return _complaint_transition(c, user, "decline", ComplaintStatus.DECLINED, reason, now, declined_at=now,
                                 decline_reason=reason, reply=reason)


@transaction.atomic
def assign_complaint(c: Complaint, *, user, assignee, now: datetime | None = None):
    now = _now(now)
    c = _lock_complaint(c)
    if c.is_closed:
        raise FeedbackError(_("投诉已办结，不能再分派。"))
    if assignee.department_id != c.department_id:
        raise FeedbackError(_("只能分派给承办部门的工作人员。"), "assignee")
    return _complaint_transition(c, user, "assign", c.status, assignee.display_name, now, assigned_to=assignee)


@transaction.atomic
def investigate_complaint(c: Complaint, *, user, note: str = "", now: datetime | None = None):
    now = _now(now)
    c = _lock_complaint(c)
    if c.status != ComplaintStatus.ACCEPTED:
        raise FeedbackError(_("只有已受理的投诉可以开始调查。"))
    return _complaint_transition(c, user, "investigate", ComplaintStatus.INVESTIGATING, note, now)


@transaction.atomic
def resolve_complaint(c: Complaint, *, user, result: str, reply: str, now: datetime | None = None):
    now = _now(now)
    c = _lock_complaint(c)
    if c.status not in (ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING):
        raise FeedbackError(_("只有已受理的投诉可以办结。"))
    if result not in ComplaintResult.values:
        raise FeedbackError(_("请选择核查结论。"), "result")
    if not reply.strip():
        raise FeedbackError(_("请填写答复内容。"), "reply")
    return _complaint_transition(c, user, "resolve", ComplaintStatus.RESOLVED, reply, now, resolved_at=now,
                                 result=result, reply=reply)


# --- ratings ------------------------------------------------------------------------------------------------------


def check_rating_code(case_no: str, rating_code: str) -> Case | None:
    """The case if the number and its rating code match (constant-time), else None — one answer for both."""
    case = Case.objects.filter(case_no=(case_no or "").strip()).select_related("department__region").first()
    given = (rating_code or "").strip().encode()
    if case is None or not case.rating_code or not given:
        hmac.compare_digest(given, b"x" * max(1, len(given)))
        return None
    return case if hmac.compare_digest(given, case.rating_code.encode()) else None


@transaction.atomic
def submit_rating(*, case: Case, channel: str, level: int, scores: Mapping[str, int] | None = None,
                  comment: str = "", phone: str = "", window: Window | None = None, recorded_by=None,
                  now: datetime | None = None) -> Rating:
    now = _now(now)
    if case.status not in RATEABLE_STATUSES:
        raise FeedbackError(_("该办件尚未办结，办结后才能评价。"))
    if channel not in RatingChannel.values:
        raise FeedbackError(_("评价渠道不正确。"))
    level = int(level)
    if not 1 <= level <= 5:
        raise FeedbackError(_("请选择评价等级。"), "level")
    if Rating.objects.filter(case=case, channel=channel).exists():
        raise FeedbackError(_("该办件已通过此渠道评价过，每个办件每个渠道只能评价一次。"))
    is_bad = level <= BAD_LEVEL_MAX
    r = Rating(
        case=case, department=case.department, channel=channel, window=window, level=level,
        scores={**dict(scores or {}), "overall": level}, comment=comment, phone_cipher=encrypt(phone),
        phone_last4=_last4(phone), is_bad=is_bad, rated_at=now, recorded_by=recorded_by,
        stage=BadRatingStage.VERIFY if is_bad else BadRatingStage.NONE, region_code=case.region_code,
    )
    refresh_rating(r, now)
    fields = {f.name: getattr(r, f.name) for f in Rating._meta.concrete_fields if f.name not in ("id", "receipt_no")}
    try:
        with transaction.atomic():
            r = _create_with_receipt(Rating, "PJ", now, **fields)
    except IntegrityError as exc:
        raise FeedbackError(_("该办件已通过此渠道评价过，每个办件每个渠道只能评价一次。")) from exc
    record(SubjectType.RATING, r, "submit", "", r.stage, recorded_by, "", now)
    return r


def _lock_rating(r: Rating) -> Rating:
    return Rating.objects.select_for_update().get(pk=r.pk)


def _rating_transition(r, user, action, to_stage, note, now, **changes) -> Rating:
    old = r.stage
    for name, value in changes.items():
        setattr(r, name, value)
    r.stage = to_stage
    refresh_rating(r, now)
    r.save()
    record(SubjectType.RATING, r, action, old, to_stage, user, note, now)
    if action == "rectify":
        raise_cards_on_close(r, now)
    return r


def _require_live_bad(r: Rating, stage: str) -> None:
    if not r.is_bad:
        raise FeedbackError(_("只有差评需要核实整改。"))
    if r.removed:
        raise FeedbackError(_("该评价已撤销。"))
    if r.stage != stage:
        raise FeedbackError(_("当前阶段不能执行此操作。"))


@transaction.atomic
def verify_rating(r: Rating, *, user, verification: str, now: datetime | None = None) -> Rating:
    now = _now(now)
    r = _lock_rating(r)
    _require_live_bad(r, BadRatingStage.VERIFY)
    if not verification.strip():
        raise FeedbackError(_("请填写核实情况。"), "verification")
    return _rating_transition(r, user, "verify", BadRatingStage.RECTIFY, verification, now, verified_at=now,
                              verified_by=user, verification=verification)


@transaction.atomic
def rectify_rating(r: Rating, *, user, rectification: str, now: datetime | None = None) -> Rating:
    now = _now(now)
    r = _lock_rating(r)
    _require_live_bad(r, BadRatingStage.RECTIFY)
    if not rectification.strip():
        raise FeedbackError(_("请填写整改措施。"), "rectification")
    return _rating_transition(r, user, "rectify", BadRatingStage.CALLBACK, rectification, now, rectified_at=now,
                              rectified_by=user, rectification=rectification)


@transaction.atomic
def callback_rating(r: Rating, *, user, result: str, note: str = "", now: datetime | None = None) -> Rating:
    now = _now(now)
    r = _lock_rating(r)
    _require_live_bad(r, BadRatingStage.CALLBACK)
    if result not in CallbackResult.values:
        raise FeedbackError(_("请选择回访结果。"), "result")
    return _rating_transition(r, user, "callback", BadRatingStage.DONE, note, now, callback_at=now,
                              callback_by=user, callback_result=result, callback_note=note)


@transaction.atomic
def appeal_rating(r: Rating, *, user, reason: str, now: datetime | None = None) -> Rating:
    now = _now(now)
    r = _lock_rating(r)
    if not r.is_bad or r.removed:
        raise FeedbackError(_("只有未撤销的差评可以申诉。"))
    if r.appeal_status in (AppealStatus.PENDING, AppealStatus.UPHELD):
        raise FeedbackError(_("该评价已有申诉。"))
    if not reason.strip():
        raise FeedbackError(_("请填写申诉理由（误评或恶意评价的依据）。"), "reason")
    old = r.appeal_status
    r.appeal_status, r.appeal_reason, r.appealed_at, r.appealed_by = AppealStatus.PENDING, reason, now, user
    refresh_rating(r, now)  # an appeal does not pause rectification; the deadlines are recomputed all the same
    r.save()
    record(SubjectType.RATING, r, "appeal", old, r.appeal_status, user, reason, now)
    return r


@transaction.atomic
def decide_appeal(r: Rating, *, user, uphold: bool, note: str, now: datetime | None = None) -> Rating:
    """A supervisor's decision. Upheld: the rating is removed (never counted again), the reason kept."""
    now = _now(now)
    r = _lock_rating(r)
    if r.appeal_status != AppealStatus.PENDING:
        raise FeedbackError(_("没有待审核的申诉。"))
    if not note.strip():
        raise FeedbackError(_("请填写审核意见。"), "note")
    old = r.appeal_status
    r.appeal_status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    r.appeal_decided_at, r.appeal_decided_by = now, user
    if uphold:
        r.removed, r.removed_at, r.removal_reason = True, now, note
    refresh_rating(r, now)
    r.save()
    record(SubjectType.RATING, r, "remove" if uphold else "appeal_rejected", old, r.appeal_status, user, note, now)
    if uphold:
        raise_cards_on_close(r, now)
    return r
