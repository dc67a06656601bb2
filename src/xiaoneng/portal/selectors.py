"""Portal read queries: guide search, guides, case progress (no personal data) and public disclosure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import add

from django.core.cache import cache
from django.db import models
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from xiaoneng.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    ClockState,
    EventType,
    StepStatus,
)
from xiaoneng.catalog.models import Item, ItemType, VersionStatus
from xiaoneng.org.models import Department

MAX_TERMS = 8


# --- guides ---------------------------------------------------------------------------------------------------


def published_items():
    return Item.objects.filter(is_active=True, current_version__status=VersionStatus.PUBLISHED)


def search_terms(q: str) -> list[str]:
    """Whitespace-separated terms (full-width spaces too), de-duplicated, at most MAX_TERMS."""
    terms: list[str] = []
    for term in (q or "").replace("\u3000", " ").split():
        term = term[:50]
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def search_items(q: str = "", *, department: str = "", item_type: str = "", life_event: str = ""):
    """Published items matching every term (in name, keywords, department name or life event); items whose
    name contains more of the terms rank first. ``icontains`` works the same on SQLite and PostgreSQL and is
    fast enough for a county catalogue (~1000 items)."""
    qs = published_items().select_related("department", "current_version")
    if department:
        qs = qs.filter(department__code=department)
    if item_type:
        qs = qs.filter(item_type=item_type)
    if life_event:
        qs = qs.filter(life_event=life_event)
    terms = search_terms(q)
    for term in terms:
        qs = qs.filter(Q(name__icontains=term) | Q(keywords__icontains=term) | Q(department__name__icontains=term)
                       | Q(life_event__icontains=term) | Q(code__iexact=term))
    if terms:
        hits = [models.Case(models.When(name__icontains=t, then=models.Value(1)), default=models.Value(0),
                            output_field=models.IntegerField()) for t in terms]
        qs = qs.annotate(name_hits=reduce(add, hits)).order_by("-name_hits", "department__code", "code")
    else:
        qs = qs.order_by("department__code", "code")
    return qs


FACETS_CACHE_SECONDS = 120


def facets() -> dict:
    """Departments, item types and life events that have published items (for the filters); cached briefly."""
    key = "xn-portal:facets"
    cached = cache.get(key)
    if cached is None:
        cached = _facets()
        cache.set(key, cached, FACETS_CACHE_SECONDS)
    return cached


def _facets() -> dict:
    items = published_items()
    dept_ids = items.values("department_id")
    return {
        "departments": list(Department.objects.filter(pk__in=dept_ids).order_by("code").values("code", "name")),
        "types": [(v, label) for v, label in ItemType.choices
                  if v in set(items.values_list("item_type", flat=True).distinct())],
        "life_events": sorted(set(items.exclude(life_event="").values_list("life_event", flat=True))),
    }


def guide(code: str) -> Item | None:
    """The item with its version in force, steps, fees and materials (never touches cases)."""
    return (published_items().filter(code=code)
            .select_related("department", "current_version", "current_version__report_to")
            .prefetch_related("current_version__materials", "current_version__steps",
                              "current_version__steps__department", "current_version__fees")
            .first())


def case_files(case: Case) -> list[dict]:
    """The files an online applicant uploaded for ``case`` (application and correction materials), with their
    download URLs — for the clerk's case page. The download view itself checks that the reader is the
    applicant or holds a post in the case's department."""
    from django.urls import reverse

    from .models import ApplicationFile

    return [
        {"name": f.original_name, "material": f.material_name, "purpose": f.get_purpose_display(), "size": f.size,
         "uploaded_at": f.uploaded_at, "url": reverse("portal:download", args=[f.token])}
        for f in ApplicationFile.objects.filter(application__case=case).order_by("uploaded_at", "id")
    ]


# --- progress -------------------------------------------------------------------------------------------------


@dataclass
class Progress:
    case: Case
    status: str
    status_label: str
    on_time: bool | None
    steps: list[dict] = field(default_factory=list)
    result_label: str = ""


RESULT_LABELS = {"approved": "准予许可（办结）", "denied": "不予许可"}


def on_time(case: Case, now: datetime | None = None) -> bool | None:
    """Decided cases: decided by the promised due; open cases: no card-level overrun; else None."""
    if case.decided_at is not None:
        return case.promised_due is None or case.decided_at <= case.promised_due
    if case.status in OPEN_STATUSES:
        if case.clock_state in (ClockState.YELLOW, ClockState.RED):
            return False
        if case.promised_due is not None and case.status != CaseStatus.SUSPENDED:
            return (now or timezone.now()) <= case.promised_due
        return True
    return None


def progress(case: Case) -> Progress:
    steps = [
        {"name": s.name, "status": s.status, "status_label": s.get_status_display(), "completed_at": s.completed_at,
         "due": s.due, "done": s.status in (StepStatus.DONE, StepStatus.BY_DEFAULT)}
        for s in case.steps.order_by("order")
    ]
    return Progress(case=case, status=case.status, status_label=case.get_status_display(), on_time=on_time(case),
                    steps=steps, result_label=RESULT_LABELS.get(case.result, ""))


# --- disclosure -----------------------------------------------------------------------------------------------

RECENT = 20


def recent(kind: str, department_id: int | None = None, limit: int = RECENT) -> list[Case]:
    """Latest acceptances (kind "accepted") or decisions ("decided"). Without a department: the newest events
    (CaseEvent.received_at index); with one: the (department, decided_at / submitted_at) indexes."""
    base = Case.objects.select_related("item", "department").only(
        "case_no", "applicant_name", "applicant_type", "status", "result", "submitted_at", "accepted_at",
        "decided_at", "promised_due", "clock_state", "item__name", "item__code", "department__name",
        "department__code",
    )
    if department_id is None:
        ids = list(CaseEvent.objects.filter(type=kind).order_by("-received_at", "-id")
                   .values_list("case_id", flat=True)[: limit * 3])
        seen: list[int] = []
        for i in ids:
            if i not in seen:
                seen.append(i)
        cases = {c.pk: c for c in base.filter(pk__in=seen[:limit])}
        return [cases[i] for i in seen[:limit] if i in cases]
    if kind == EventType.DECIDED:
        return list(base.filter(department_id=department_id, decided_at__isnull=False).order_by("-decided_at")[:limit])
    # The latest accepted applications among the department's most recent submissions: a bounded backward
    # scan of the (department, submitted_at) index, then sorted by acceptance time.
    rows = list(base.filter(department_id=department_id, accepted_at__isnull=False)
                .order_by("-submitted_at", "-id")[: limit * 10])
    rows.sort(key=lambda c: c.accepted_at, reverse=True)
    return rows[:limit]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def monthly_figures(year: int, month: int, seconds_per_day: int) -> list[dict]:
    """Per department for the month: applications received, cases decided, decided by the promised due
    (on-time rate), average working days used against the average promised limit — aggregate SQL over the
    (department, decided_at) and (department, submitted_at) indexes, cached for ten minutes."""
    key = f"xn-portal:monthly:{year}-{month:02d}:{seconds_per_day}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    start, end = month_bounds(year, month)
    dept_ids = list(Department.objects.values_list("pk", flat=True))
    decided = (Case.objects.filter(department_id__in=dept_ids, decided_at__gte=start, decided_at__lt=end)
               .values("department_id")
               .annotate(decided=Count("id"),
                         on_time=Count("id", filter=Q(promised_due__isnull=True)
                                       | Q(decided_at__lte=F("promised_due"))),
                         avg_elapsed=Avg("elapsed_seconds"),
                         avg_promised=Avg("item_version__promised_days")))
    received = dict(Case.objects.filter(department_id__in=dept_ids, submitted_at__gte=start, submitted_at__lt=end)
                    .values("department_id").annotate(n=Count("id")).values_list("department_id", "n"))
    rows: dict[int, dict] = {}
    for r in decided:
        rows[r["department_id"]] = {
            "decided": r["decided"], "on_time": r["on_time"],
            "on_time_rate": round(100 * r["on_time"] / r["decided"], 1) if r["decided"] else None,
            "avg_days": round((r["avg_elapsed"] or 0) / seconds_per_day, 1) if seconds_per_day else None,
            "avg_promised": round(r["avg_promised"] or 0, 1),
        }
    names = dict(Department.objects.filter(pk__in=set(rows) | set(received)).values_list("pk", "name"))
    out = []
    for dept_id in sorted(set(rows) | set(received), key=lambda d: names.get(d, "")):
        row = rows.get(dept_id, {"decided": 0, "on_time": 0, "on_time_rate": None, "avg_days": None,
                                 "avg_promised": None})
        out.append({"department": names.get(dept_id, ""), "received": received.get(dept_id, 0), **row})
    cache.set(key, out, 600)
    return out


def published_ranking() -> dict | None:
    """The evaluation app's latest published ranking when it offers one (guarded: it may not exist), as
    {"label": period label, "rows": [{"rank", "department", "score", "grade"}]}."""
    try:
        from xiaoneng.evaluation.selectors import published_ranking as source  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        result = source()
    except Exception:  # noqa: BLE001 - a broken ranking must not take the public page down
        return None
    if not result:
        return None
    label = ""
    if isinstance(result, dict):
        label, rows = str(result.get("label") or ""), result.get("rows") or []
    else:
        rows = list(result)
    out = []
    for i, row in enumerate(rows, start=1):
        get = row.get if isinstance(row, dict) else (lambda k, default=None, r=row: getattr(r, k, default))
        dept = get("department", None) or get("department_name", "")
        score = get("score", None)
        out.append({
            "rank": get("rank", None) or i,
            "department": getattr(dept, "name", dept),
            "score": score if score is not None else get("total", ""),
            "grade": get("grade_label", None) or get("grade", ""),
        })
    return {"label": label, "rows": out} if out else None
