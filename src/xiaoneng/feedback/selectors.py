"""Read side of feedback: per-department statistics (for the performance evaluation) and case timeline entries.

``department_stats(period_start, period_end, department_ids=None)`` — definitions
---------------------------------------------------------------------------------
Period: ``[period_start, period_end)`` for datetimes; dates are whole local days (Asia/Shanghai), both inclusive
(``date(2026, 11, 1), date(2026, 11, 30)`` is November). An item belongs to the period by the instant it was
*received* (consultation, complaint) or *given* (rating), whatever happened later.

Per department (``department_id`` → :class:`DepartmentFeedbackStats`):

* ``consultations``: consultations to the department received in the period;
  ``consultations_on_time``: of those, replied with ``replied_at <= reply_due``;
  ``consultation_on_time_rate`` = on time / count (None when count is 0). Unanswered ones count as not on time.
* ``complaints``: complaints *about* the department (``target_department``, including those routed to the service
  centre or the supervision office); ``complaints_substantiated``: of those, resolved as 属实 or 部分属实.
* ``complaints_handled``: complaints *routed to* (handled by) the department; ``complaints_handled_on_time``:
  accepted by ``accept_due`` and resolved by ``resolve_due``, or declined by ``accept_due``;
  ``complaint_on_time_rate`` = on time / handled (None when none). Open ones count as not on time.
* ``ratings``: ratings of the department's cases given in the period, **removed ratings excluded**;
  ``rating_mean``: mean level (1–5); ``bad_ratings``: levels 1–2 (差评); ``bad_share`` = bad / ratings;
  ``rectified_on_time``: 差评 with ``rectified_at <= rectify_due``; ``rectification_on_time_rate`` =
  rectified on time / bad (None when there is no 差评).

Set-based: one aggregate query per kind (three or four in all), whatever the number of departments. With
``department_ids`` given, every listed department appears (zeros for no data); otherwise the departments with any
data in the period.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from .models import (
    OFFLINE_DIMENSIONS,
    ONLINE_DIMENSIONS,
    SUBSTANTIATED_RESULTS,
    Complaint,
    Consultation,
    Rating,
    RatingChannel,
)

__all__ = ["DepartmentFeedbackStats", "complaints_for_case", "department_stats", "timeline_entries_for_case"]


@dataclass(frozen=True)
class DepartmentFeedbackStats:
    department_id: int
    consultations: int = 0
    consultations_on_time: int = 0
    consultation_on_time_rate: float | None = None
    complaints: int = 0
    complaints_substantiated: int = 0
    complaints_handled: int = 0
    complaints_handled_on_time: int = 0
    complaint_on_time_rate: float | None = None
    ratings: int = 0
    rating_mean: float | None = None
    bad_ratings: int = 0
    bad_share: float | None = None
    rectified_on_time: int = 0
    rectification_on_time_rate: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()

    def to_dt(value, is_end: bool) -> datetime:
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value, tz)
        day = value + timedelta(days=1) if is_end else value
        return datetime.combine(day, time.min, tzinfo=tz)

    return to_dt(start, False), to_dt(end, True)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def department_stats(period_start: date | datetime, period_end: date | datetime,
                     department_ids=None) -> dict[int, DepartmentFeedbackStats]:
    start, end = _bounds(period_start, period_end)
    ids = None if department_ids is None else list(department_ids)
    rows: dict[int, dict] = {i: {} for i in ids} if ids is not None else {}

    def scoped(qs, field):
        return qs if ids is None else qs.filter(**{f"{field}__in": ids})

    consultations = scoped(Consultation.objects.filter(received_at__gte=start, received_at__lt=end),
                           "department_id")
    for row in consultations.values("department_id").annotate(
        n=Count("id"), on_time=Count("id", filter=Q(replied_at__isnull=False, replied_at__lte=F("reply_due"))),
    ).order_by():
        rows.setdefault(row["department_id"], {}).update(consultations=row["n"], consultations_on_time=row["on_time"])

    complaints = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
    about = scoped(complaints.filter(target_department__isnull=False), "target_department_id")
    for row in about.values("target_department_id").annotate(
        n=Count("id"), sub=Count("id", filter=Q(result__in=SUBSTANTIATED_RESULTS)),
    ).order_by():
        rows.setdefault(row["target_department_id"], {}).update(complaints=row["n"],
                                                                complaints_substantiated=row["sub"])
    on_time = (Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due"), resolved_at__isnull=False,
                 resolved_at__lte=F("resolve_due"))
               | Q(declined_at__isnull=False, declined_at__lte=F("accept_due")))
    for row in scoped(complaints, "department_id").values("department_id").annotate(
        n=Count("id"), on_time=Count("id", filter=on_time),
    ).order_by():
        rows.setdefault(row["department_id"], {}).update(complaints_handled=row["n"],
                                                         complaints_handled_on_time=row["on_time"])

    ratings = scoped(Rating.objects.filter(rated_at__gte=start, rated_at__lt=end, removed=False), "department_id")
    for row in ratings.values("department_id").annotate(
        n=Count("id"), mean=Avg("level"), bad=Count("id", filter=Q(is_bad=True)),
        rect=Count("id", filter=Q(is_bad=True, rectified_at__isnull=False, rectified_at__lte=F("rectify_due"))),
    ).order_by():
        rows.setdefault(row["department_id"], {}).update(
            ratings=row["n"], rating_mean=float(row["mean"]) if row["mean"] is not None else None,
            bad_ratings=row["bad"], rectified_on_time=row["rect"])

    out = {}
    for dept_id, data in rows.items():
        s = DepartmentFeedbackStats(department_id=dept_id, **data)
        out[dept_id] = DepartmentFeedbackStats(**{
            **s.as_dict(),
            "consultation_on_time_rate": _rate(s.consultations_on_time, s.consultations),
            "complaint_on_time_rate": _rate(s.complaints_handled_on_time, s.complaints_handled),
            "bad_share": _rate(s.bad_ratings, s.ratings),
            "rectification_on_time_rate": _rate(s.rectified_on_time, s.bad_ratings),
        })
    return out


# --- case timeline -------------------------------------------------------------------------------------------------


def complaints_for_case(case, user=None):
    """Complaints linked to ``case`` (oldest first); with ``user``, only those the user may read."""
    qs = Complaint.objects.filter(case=case).select_related("department").order_by("received_at", "id")
    if user is not None:
        from .policy import visible

        qs = visible(qs, user)
    return qs


def timeline_entries_for_case(case, user=None) -> list[dict]:
    """Timeline rows for the workbench / supervision case pages: ``{"at", "kind", "label", "url"}``."""
    from django.urls import reverse

    entries = []
    for c in complaints_for_case(case, user):
        entries.append({
            "at": c.received_at, "kind": "complaint",
            "label": f"投诉 {c.receipt_no}（{c.get_type_display()}，{c.get_status_display()}，承办：{c.department.name}）",
            "url": reverse("feedback:complaint", args=[c.pk]),
        })
    ratings = Rating.objects.filter(case=case).order_by("rated_at")
    if user is not None:
        from .policy import visible

        ratings = visible(ratings, user)
    for r in ratings:
        label = f"评价 {r.get_level_display()}（{r.get_channel_display()}）"
        if r.removed:
            label += "【已撤销】"
        entries.append({"at": r.rated_at, "kind": "rating", "label": label,
                        "url": reverse("feedback:rating", args=[r.pk])})
    return sorted(entries, key=lambda e: e["at"])


def rating_dimensions(rating) -> list[tuple[str, int | None]]:
    dims = ONLINE_DIMENSIONS if rating.channel == RatingChannel.ONLINE else OFFLINE_DIMENSIONS
    return [(str(label), rating.scores.get(code)) for code, label in dims]
