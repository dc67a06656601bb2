"""Inbox queries (待办 / 已办) and the "time left" shown on them.

The step list is one query on ``CaseStep`` filtered by (department, post, status='active') pairs, ordered by
``due`` — served by the ``casestep_inbox`` index (department, post, status, due) — joined to the case by primary
key, and paginated (LIMIT/OFFSET), so its cost does not grow with the number of cases in the database.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Window
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from xiaoneng.cases.models import OPEN_STATUSES, Case, CaseStatus, CaseStep, ClockState, StepStatus
from xiaoneng.org.models import Post

from .access import Actor
from .models import ExtensionRequest, Forwarding, HandledLog, RequestStatus, StepClaim

PAGE_SIZE = 20


class Calendars:
    """Working calendars by region code, loaded once per request."""

    def __init__(self):
        self._cache: dict[str, object] = {}

    def get(self, region_code: str):
        if region_code not in self._cache:
            from xiaoneng.workcal.selectors import UnknownRegion, get_calendar

            try:
                self._cache[region_code] = get_calendar(region_code or None)
            except UnknownRegion:
                self._cache[region_code] = get_calendar(None)
        return self._cache[region_code]


def time_left(due: datetime | None, region_code: str, now: datetime, calendars: Calendars) -> dict:
    """{"overdue": bool, "days": float, "label": "剩余 X 个工作日" | "已超期"} computed with the case's calendar."""
    if due is None:
        return {"overdue": False, "days": None, "label": ""}
    cal = calendars.get(region_code)
    if due < now:
        days = round(cal.working_seconds_between(due, now) / cal.seconds_per_day, 1)
        return {"overdue": True, "days": days, "label": _("已超期")}
    days = round(cal.working_seconds_between(now, due) / cal.seconds_per_day, 1)
    text = f"{days:g}"
    return {"overdue": False, "days": days, "label": _("剩余 %(n)s 个工作日") % {"n": text}}


def case_time_left(case: Case, due: datetime | None, now: datetime, calendars: Calendars) -> dict:
    """``time_left`` for a row of ``case``; "暂停计时" while the case clock is paused (special procedure,
    correction in review, correction awaited before acceptance): the stored due is not final then."""
    if case.clock_state == ClockState.SUSPENDED:
        return {"overdue": False, "days": None, "label": _("暂停计时"), "paused": True}
    return time_left(due, case.region_code, now, calendars)


def _pairs_q(pairs: set[tuple[int, str]]) -> Q | None:
    by_dept: dict[int, list[str]] = defaultdict(list)
    for dept, post in pairs:
        if post not in (Post.SUPERVISOR, Post.AGENT):
            by_dept[dept].append(post)
    if not by_dept:
        return None
    q = Q()
    for dept, posts in sorted(by_dept.items()):
        q |= Q(department_id=dept, post__in=sorted(posts))
    return q


# Only the columns the rows show: a Case row is wide (clock and deadline JSON, encrypted fields), and loading
# and converting unused columns was a large share of the page's CPU time.
_STEP_ROW = ("case", "code", "name", "post", "department_id", "parallel_group", "started_at", "due",
             "case__case_no", "case__region_code", "case__clock_state", "case__applicant_name", "case__item",
             "case__item__name")
_CASE_ROW = ("case_no", "region_code", "status", "clock_state", "applicant_name", "channel", "decided_at", "item",
             "item__name")


def step_queryset(actor: Actor):
    """Active steps of the actor's (department, post) pairs on open cases, earliest due (overdue) first."""
    q = _pairs_q(actor.pairs)
    if q is None:
        return CaseStep.objects.none()
    return (
        CaseStep.objects.filter(q, status=StepStatus.ACTIVE, case__status__in=OPEN_STATUSES)
        .select_related("case__item")
        .only(*_STEP_ROW)
        .order_by("due", "id")
    )


def _case_rows(qs, clock_key: str, *related: str):
    """Case rows with ``due_iso``, one key of the clock JSON extracted in SQL (not the whole document)."""
    return qs.select_related("item", *related).only(*_CASE_ROW, *(f"{r}__name" for r in related)) \
        .annotate(due_iso=KT(f"clock__{clock_key}"))


def pending_acceptance(actor: Actor):
    """待受理: applications of the actor's window departments not yet accepted (incl. correction pending)."""
    depts = actor.departments_with(Post.ACCEPTOR, Post.CHIEF_REP)
    if not depts:
        return Case.objects.none()
    qs = Case.objects.filter(department_id__in=depts, status__in=[CaseStatus.SUBMITTED, CaseStatus.CORRECTION])
    return _case_rows(qs, "pre_acceptance_due", "hall").order_by("submitted_at", "id")


def pending_delivery(actor: Actor):
    depts = actor.departments_with(Post.NOTIFIER, Post.CHIEF_REP)
    if not depts:
        return Case.objects.none()
    qs = Case.objects.filter(department_id__in=depts, status=CaseStatus.DECIDED)
    return _case_rows(qs, "delivery_due").order_by("decided_at", "id")


def forwarded_to_me(actor: Actor):
    depts = actor.departments_with(Post.DECIDER, Post.CHIEF_REP)
    if not depts:
        return Forwarding.objects.none()
    return Forwarding.objects.filter(to_department_id__in=depts, decided_at__isnull=True) \
        .select_related("case__item", "from_department") \
        .only("opinion", "forwarded_at", "case__case_no", "case__item__name", "from_department__name") \
        .order_by("forwarded_at")


def pending_extensions(actor: Actor):
    depts = actor.departments_with(Post.LEADER)
    if not depts:
        return ExtensionRequest.objects.none()
    return ExtensionRequest.objects.filter(department_id__in=depts, status=RequestStatus.PENDING) \
        .select_related("case__item", "requested_by") \
        .only("workdays", "reason", "requested_by", "case__case_no", "case__item__name") \
        .order_by("requested_at")


def page(qs, number, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(number)


def counted_page(qs, number, size: int = PAGE_SIZE) -> Page:
    """``page`` in one query instead of two: the rows carry the total (``COUNT(*) OVER ()``); the count is
    queried on its own only when the requested page is empty (past the end)."""
    paginator = Paginator(qs, size)
    try:
        n = max(int(number), 1)
    except (TypeError, ValueError):
        n = 1
    rows = list(qs.annotate(page_total=Window(Count("*")))[(n - 1) * size : n * size])
    if rows:
        paginator.count = rows[0].page_total
        return Page(rows, n, paginator)
    if n == 1 or not paginator.count:
        paginator.count = 0
        return Page([], 1, paginator)
    return paginator.get_page(number)


def annotate_steps(steps, now: datetime, calendars: Calendars, actor: Actor | None = None) -> list[dict]:
    """Rows of the step list; with ``actor``, ``acting_for`` names the away A岗 holder the actor substitutes
    (B岗) in the step's (department, post), else "". Two queries whatever the number of rows."""
    steps = list(steps)
    claims = {}
    if steps:
        rows = StepClaim.objects.filter(case_id__in={s.case_id for s in steps}).select_related("user")
        for c in rows:
            claims[(c.case_id, c.step_code, c.step_started_at)] = c
    holders = _away_holders(actor.user, now) if steps and actor is not None and getattr(actor.user, "pk", None) \
        else {}
    out = []
    for s in steps:
        acting_for = holders.get((s.department_id, s.post), "")
        out.append({
            "step": s, "case": s.case, "left": case_time_left(s.case, s.due, now, calendars),
            "claim": claims.get((s.case_id, s.code, s.started_at)), "acting_for": acting_for,
        })
    return out


def _away_holders(user, now: datetime) -> dict[tuple[int, str], str]:
    """(department, post) → name of the away A岗 holder the user substitutes as B岗 (one query: the user's own
    assignments and those naming the user as substitute)."""
    from xiaoneng.org.models import PostAssignment

    rows = list(PostAssignment.objects.filter(Q(user=user) | Q(substitute=user), is_active=True)
                .select_related("user"))
    own = {(a.department_id, a.post) for a in rows if a.user_id == user.pk}
    holders = {}
    for assignment in rows:
        key = (assignment.department_id, assignment.post)
        if assignment.substitute_id == user.pk and key not in own and assignment.is_away(now):
            holders[key] = assignment.user.display_name
    return holders


def _parse_iso(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def clock_due(case: Case, key: str) -> datetime | None:
    return _parse_iso((case.clock or {}).get(key))


def annotate_cases(cases, now: datetime, calendars: Calendars) -> list[dict]:
    """Rows of ``pending_acceptance`` / ``pending_delivery`` (their ``due_iso``) with the time left."""
    out = []
    for c in cases:
        due = _parse_iso(c.due_iso)
        out.append({"case": c, "due": due, "left": case_time_left(c, due, now, calendars)})
    return out


def handled(user):
    return HandledLog.objects.filter(user=user).select_related("case", "case__item").order_by("-at", "-id")
