"""Evaluation services: periods, the standard in force, ``evaluate_period``, publishing, selectors for scores.

Versions: ``evaluate_period`` replaces the latest *unpublished* score of a department and period in place; when the
latest one is published it creates the next version (unpublished) — unless the result is identical, in which
case nothing is written. Published versions are never touched, so the history of published scores is kept.
A month is scored from its indicators and facts; a quarter or a year is the mean of its months (those that have
begun by ``as_of`` and in which the department had cases), each month recomputed with the quarter's / year's
standard. A department without cases in the period (``has_cases``) is stored but not ranked (shown as 无办件).
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from xiaoneng.org.models import Department

from . import facts as facts_mod
from . import indicators as ind
from .models import (
    Category,
    Grade,
    LineKind,
    ManualAdjustment,
    Period,
    PeriodKind,
    Score,
    ScoreLine,
    Standard,
    StandardStatus,
)
from .scoring import (
    CategorySpec,
    DepartmentData,
    Result,
    RuleSpec,
    StandardSpec,
    competition_ranks,
    mean_result,
)
from .scoring import score as score_one

PERIOD_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])))?$")


class PeriodError(ValueError):
    pass


# --- periods and standards -------------------------------------------------------------------------------------


def parse_period(key: str) -> tuple[str, date, date]:
    """``YYYY-MM`` | ``YYYY-Qn`` | ``YYYY`` → (kind, first day, last day)."""
    m = PERIOD_RE.match(key.strip())
    if not m:
        raise PeriodError(f"期间格式应为 YYYY-MM、YYYY-Qn 或 YYYY：{key!r}")
    year = int(m["y"])
    if m["m"]:
        month = int(m["m"])
        return PeriodKind.MONTH, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if m["q"]:
        q = int(m["q"])
        first, last = 3 * q - 2, 3 * q
        return PeriodKind.QUARTER, date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])
    return PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31)


def month_keys(period: Period) -> list[str]:
    keys, y, m = [], period.start.year, period.start.month
    while date(y, m, 1) <= period.end:
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return keys


def current_standard() -> Standard:
    std = Standard.objects.filter(status=StandardStatus.PUBLISHED).order_by("-published_at", "-id").first()
    if std is None:
        raise Standard.DoesNotExist("no published scoring standard")
    return std


def get_period(key: str, standard: Standard | None = None) -> Period:
    """The period for ``key``, created with ``standard`` (default: the latest published one) if new."""
    kind, start, end = parse_period(key)
    period = Period.objects.filter(key=key).select_related("standard").first()
    if period is None:
        period, _ = Period.objects.get_or_create(
            key=key, defaults=dict(kind=kind, start=start, end=end, standard=standard or current_standard()))
    return period


def previous_month_key(today: date | None = None) -> str:
    today = today or timezone.localdate()
    y, m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{y:04d}-{m:02d}"


_spec_cache: dict[int, StandardSpec] = {}


def spec_for(standard: Standard) -> StandardSpec:
    """The standard as plain data for the pure scorer (cached for published, immutable versions)."""
    if standard.pk in _spec_cache:
        return _spec_cache[standard.pk]
    cats = []
    for cat in Category.objects.filter(standard=standard).prefetch_related("rules").order_by("order", "id"):
        rules = tuple(RuleSpec(code=r.code, name=r.name, kind=r.kind, indicator=r.indicator, source=r.source,
                               level=r.level, filters=r.filters or {}, points=r.points, n=r.n, cap=r.cap,
                               threshold=r.threshold, step=r.step, step_points=r.step_points)
                      for r in sorted(cat.rules.all(), key=lambda r: (r.order, r.id)))
        cats.append(CategorySpec(cat.code, cat.name, cat.weight, rules))
    spec = StandardSpec(standard.name, standard.number, tuple(cats))
    if standard.is_published:
        _spec_cache[standard.pk] = spec
    return spec


def scored_departments(codes=None):
    qs = Department.objects.filter(is_active=True).exclude(kind="supervision").order_by("code")
    if codes:
        qs = qs.filter(code__in=list(codes))
    return list(qs)


# --- evaluation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    department: Department
    result: Result
    indicators: dict
    has_cases: bool = True


def had_cases(row: dict, cards: list) -> bool:
    """A case submitted or decided in the period, case data (events) received in it, or a card whose threshold
    passed in it (a case clock was running): there was case handling to rate."""
    return bool(row["submitted"] or row["decided"] or row["events"] or cards)


def compute_month(spec: StandardSpec, key: str, departments, as_of: datetime,
                  period: Period | None = None) -> list[Computed]:
    _, start, end = parse_period(key)
    window = ind.Window.for_dates(start, end)
    ids = [d.id for d in departments]
    if _may_run_concurrently():
        values, found = _gather_concurrently(window, ids, as_of)
    else:
        with transaction.atomic():  # one snapshot for indicators and facts; JIT off for these queries
            ind.no_jit()
            values = ind.compute(window, ids) if ids else {}
            found = facts_mod.collect(window, ids, as_of)
    manual: dict[int, list] = {i: [] for i in ids}
    if period is not None:
        for adj in (ManualAdjustment.objects.filter(period=period, department_id__in=ids)
                    .select_related("category", "by").order_by("id")):
            manual[adj.department_id].append({"id": adj.id, "category": adj.category.code, "points": adj.points,
                                              "reason": adj.reason, "by": adj.by.get_full_name() or adj.by.username,
                                              "at": adj.at.isoformat()})
    out = []
    for dept in departments:
        row = values[dept.id]
        facts = {**found[dept.id], "late_events": row["late_events_sample"]}
        totals = {"late_events": row["late_cases"], "early_cases": row["early"]}
        data = DepartmentData(indicators=row, facts=facts, totals=totals, manual=manual[dept.id])
        out.append(Computed(dept, score_one(spec, data), _json_indicators(row),
                            had_cases(row, found[dept.id]["cards"])))
    return out


def _may_run_concurrently() -> bool:
    """PostgreSQL outside a transaction (the command, the periodic job, a view): the heavy aggregate queries run on
    separate connections at the same time. Inside a transaction (tests) other connections would not see its
    rows, so everything runs on this connection."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _in_own_connection(func, *args):
    from django.db import connections

    try:
        with transaction.atomic():
            ind.no_jit()
            return func(*args)
    finally:
        connections.close_all()  # this thread's connections


def _gather_concurrently(window, ids, as_of):
    """Indicators (one query per source) and facts on up to five connections at once: the month's cases and its
    events are the two expensive passes; the wall time becomes that of the slowest instead of the sum."""
    from concurrent.futures import ThreadPoolExecutor

    if not ids:
        return {}, facts_mod.collect(window, ids, as_of)
    with ThreadPoolExecutor(max_workers=len(ind.PARTS) + 1, thread_name_prefix="evaluation") as pool:
        parts = [pool.submit(_in_own_connection, part, window, ids) for part in ind.PARTS]
        found = pool.submit(_in_own_connection, facts_mod.collect, window, ids, as_of)
        values = ind.merge(ids, [f.result() for f in parts])
        return values, found.result()


def _json_indicators(row: dict) -> dict:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items() if not k.endswith("_sample")}


def evaluate_period(period: Period | str, department_codes=None, *, as_of: datetime | None = None) -> list[Score]:
    """Score ``period`` for the listed departments (default: every scored department); returns the stored
    (latest-version) scores, ranked among all departments of the period."""
    if isinstance(period, str):
        period = get_period(period)
    as_of = as_of or timezone.now()
    departments = scored_departments(department_codes)
    spec = spec_for(period.standard)
    if period.kind == PeriodKind.MONTH:
        computed = compute_month(spec, period.key, departments, as_of, period)
    else:
        months = [k for k in month_keys(period) if parse_period(k)[1] <= timezone.localtime(as_of).date()]
        per_month = {}
        for key in months:
            month_period = Period.objects.filter(key=key).first()
            per_month[key] = {c.department.id: c for c in compute_month(spec, key, departments, as_of, month_period)}
        computed = []
        for dept in departments:
            active = [k for k in months if per_month[k][dept.id].has_cases]
            results = [per_month[k][dept.id].result for k in active or months] or [score_one(spec, DepartmentData())]
            computed.append(Computed(dept, mean_result(spec, results),
                                     {"months": {k: str(per_month[k][dept.id].result.total) for k in active}},
                                     bool(active)))
    with transaction.atomic():
        stored = _store_all(period, computed, as_of)
    ids = [s.pk for s in stored]
    return list(Score.objects.filter(pk__in=ids).select_related("department").order_by("rank", "department__code"))


LINE_COLUMNS = ("category", "category_name", "kind", "rule_code", "label", "points", "weight", "indicator",
                "indicator_value", "facts", "order")


def _lines(period: Period, c: Computed) -> list[dict]:
    """The score's lines as plain rows: a ``category`` line per category, then its rules' lines."""
    lines, order = [], 0
    for cat in c.result.categories:
        facts = {}
        if period.kind != PeriodKind.MONTH:
            facts = {"source": "months", "total": len(c.indicators.get("months", {})),
                     "items": [{"month": k} for k in c.indicators.get("months", {})]}
        lines.append(dict(category=cat.code, category_name=cat.name, kind=LineKind.CATEGORY.value, rule_code="",
                          label=cat.name, points=cat.points, weight=cat.weight, indicator="", indicator_value=None,
                          facts=facts, order=order))
        order += 1
        for ln in cat.lines:
            lines.append(dict(category=cat.code, category_name=cat.name, kind=ln.kind, rule_code=ln.rule_code,
                              label=ln.label[:255], points=ln.points, weight=None, indicator=ln.indicator,
                              indicator_value=ln.indicator_value, facts=dict(ln.facts), order=order))
            order += 1
    return lines


def _signature(total, grade, has_cases, lines: list[dict]) -> tuple:
    return (Decimal(total).quantize(Decimal("0.01")), str(grade), bool(has_cases),
            tuple((ln["category"], ln["kind"], ln["rule_code"], Decimal(ln["points"]).quantize(Decimal("0.01")),
                   ln["indicator_value"], _canon(ln["facts"])) for ln in lines))


def _canon(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _store_all(period: Period, computed: list[Computed], as_of: datetime) -> list[Score]:
    """Store every department's result in a bounded number of queries (whatever the number of departments).

    The latest unpublished version is replaced (deleted and inserted again with the same version number); a
    published latest version is kept and the next version is inserted, unless the result is identical."""
    ids = [c.department.id for c in computed]
    latest: dict[int, Score] = {}
    for s in (Score.objects.select_for_update().filter(period=period, department_id__in=ids)
              .order_by("department_id", "-version")):
        latest.setdefault(s.department_id, s)
    published_lines: dict[int, list] = {}
    pub_ids = [s.pk for s in latest.values() if s.published]
    for ln in (ScoreLine.objects.filter(score_id__in=pub_ids).order_by("score_id", "order", "id")
               .values("score_id", *LINE_COLUMNS)):
        published_lines.setdefault(ln["score_id"], []).append(ln)

    kept: list[Score] = []
    replace_ids: list[int] = []
    new: list[tuple[Score, list[dict]]] = []
    for c in computed:
        prev = latest.get(c.department.id)
        lines = _lines(period, c)
        grade = Grade(c.result.grade)
        if prev is not None and prev.published and prev.standard_id == period.standard_id and (
                _signature(prev.total, prev.grade, prev.has_cases, published_lines.get(prev.pk, []))
                == _signature(c.result.total, grade, c.has_cases, lines)):
            kept.append(prev)  # identical to the published version: nothing to write
            continue
        if prev is not None and not prev.published:
            replace_ids.append(prev.pk)
            version = prev.version
        else:
            version = prev.version + 1 if prev else 1
        new.append((Score(department=c.department, period=period, version=version, standard=period.standard,
                          total=c.result.total, grade=grade, has_cases=c.has_cases, indicators=c.indicators,
                          computed_at=as_of), lines))
    if replace_ids:
        ScoreLine.objects.filter(score_id__in=replace_ids).delete()
        Score.objects.filter(pk__in=replace_ids).delete()
    # ranks among the latest versions of every department of the period (including those not recomputed now)
    others = [s for s in latest_scores(period) if s.department_id not in {sc.department_id for sc, _ in new}]
    everyone = others + [s for s, _ in new]
    ranks = ranks_of(everyone, key=lambda s: s.department_id)
    for s, _ in new:
        s.rank = ranks.get(s.department_id)
    moved = [s for s in others if not s.published and s.rank != ranks.get(s.department_id)]
    for s in moved:
        s.rank = ranks.get(s.department_id)
    if moved:
        Score.objects.bulk_update(moved, ["rank"])
    Score.objects.bulk_create([s for s, _ in new], batch_size=500)
    _insert_lines([(s.pk, ln) for s, lines in new for ln in lines])
    return kept + [s for s, _ in new]


def _insert_lines(rows: list[tuple[int, dict]]) -> None:
    """PostgreSQL: one COPY (the ORM's bulk INSERT of thousands of JSON rows costs seconds); elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        ScoreLine.objects.bulk_create([ScoreLine(score_id=pk, **ln) for pk, ln in rows], batch_size=2000)
        return
    table = ScoreLine._meta.db_table
    cols = ", ".join(f'"{c}"' for c in ("score_id", *LINE_COLUMNS))
    with connection.cursor() as cur, cur.connection.cursor().copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for pk, ln in rows:
            copy.write_row((pk, *(json.dumps(ln["facts"], ensure_ascii=False, default=str) if c == "facts"
                                  else ln[c] for c in LINE_COLUMNS)))


def latest_scores(period: Period, published_only: bool = False):
    """The latest version (or the latest published one) of each department's score for ``period``."""
    inner = Score.objects.filter(department=OuterRef("department"), period=period)
    base = Score.objects.filter(period=period)
    if published_only:
        inner = inner.filter(published=True)
        base = base.filter(published=True)
    latest = inner.order_by("-version").values("version")[:1]
    return base.filter(version=Subquery(latest)).select_related("department", "period", "standard")


def ranks_of(scores, key=lambda s: s.pk) -> dict:
    """Competition ranks among the scores of departments that had cases; the others get none (无办件)."""
    return competition_ranks({key(s): s.total for s in scores if s.has_cases})


def _rank(period: Period) -> None:
    scores = list(latest_scores(period))
    ranks = ranks_of(scores)
    changed = [s for s in scores if s.rank != ranks.get(s.pk) and not s.published]
    for s in changed:
        s.rank = ranks.get(s.pk)
    Score.objects.bulk_update(changed, ["rank"])


@transaction.atomic
def publish_period(period: Period, user=None) -> int:
    """Freeze the latest version of every department's score for ``period`` (idempotent)."""
    _rank(period)
    ids = [s.pk for s in latest_scores(period) if not s.published]
    return Score.objects.filter(pk__in=ids).update(published=True, published_at=timezone.now(), published_by=user)


def score_history(department: Department, period: Period):
    return Score.objects.filter(department=department, period=period).order_by("-version")


def monthly_job() -> None:
    """Periodic (daily): recompute the previous month and the current month to date. Idempotent."""
    today = timezone.localdate()
    for key in (previous_month_key(today), f"{today.year:04d}-{today.month:02d}"):
        evaluate_period(key)


def grade_counts(scores) -> dict[str, int]:
    """Departments per grade; those without cases are counted apart (``no_cases``), not in any grade."""
    counts = {g.value: 0 for g in Grade}
    counts["no_cases"] = 0
    for s in scores:
        counts[s.grade if s.has_cases else "no_cases"] += 1
    return counts


def total_scale(standard: Standard) -> dict:
    """How far a total can go: the base (sum of category weights) plus every bonus at its maximum — §5 adds the
    bonuses on top of the base, so a total above 100 is possible and correct."""
    spec = spec_for(standard)
    return {"base": spec.base, "max": spec.base + spec.max_bonus()}


def trend(department: Department, end_key: str, months: int = 12) -> list[dict]:
    """Totals of the department's latest monthly scores for the ``months`` months ending at ``end_key``."""
    _, start, _ = parse_period(end_key)
    keys = []
    y, m = start.year, start.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    keys.reverse()
    inner = Score.objects.filter(department=department, period=OuterRef("period")).order_by("-version")
    rows = {s.period.key: s for s in Score.objects.filter(
        department=department, period__key__in=keys, version=Subquery(inner.values("version")[:1])
    ).select_related("period")}
    return [{"key": k, "total": float(rows[k].total) if k in rows else None} for k in keys]


def visible_scores(qs, user):
    from xiaoneng.org.scoping import visible_department_ids

    ids = visible_department_ids(user)
    return qs if ids is None else qs.filter(Q(department_id__in=ids))
