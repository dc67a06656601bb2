"""The indicators of domain-rules §5, per department and period, by set-based SQL.

One aggregate query per source (decided cases, submitted cases, case events, published items) plus
``feedback.selectors.department_stats`` (consultations, complaints, ratings), each grouped by department —
whatever the number of cases, Python only sees one row per department. The department list is always passed
explicitly so that PostgreSQL walks the ``(department_id, decided_at)`` / ``(department_id, submitted_at)`` indexes
department by department (``department_id = ANY(…) AND decided_at >= … AND decided_at < …``).

The exact definitions (shown next to every figure in the UI) are in ``DEFINITIONS``. A period is ``[start, end)``
in local time (Asia/Shanghai); a rate with an empty denominator is ``None`` ("no data"), never 0 or 100 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.catalog.models import Item, ItemVersion

# Ordered: (key, name). ``DEFINITIONS[key]`` is the exact definition in Chinese.
INDICATORS: list[tuple[str, str]] = [
    ("on_time_rate", _("按时办结率")),
    ("early_rate", _("提前办结率")),
    ("avg_speedup_rate", _("平均提速率")),
    ("promised_speedup_rate", _("承诺提速率")),
    ("onsite_rate", _("现场办结率")),
    ("online_rate", _("网上办理率")),
    ("satisfaction_rate", _("满意度")),
    ("consultation_on_time_rate", _("咨询按时回复率")),
    ("complaint_on_time_rate", _("投诉按时办结率")),
    ("rectification_on_time_rate", _("差评整改按时率")),
    ("data_timeliness_rate", _("数据上报及时率")),
]
NAMES = dict(INDICATORS)

DEFINITIONS: dict[str, str] = {
    "on_time_rate": _("本期办结（办结时间在本期内）的办件中，办结时间不晚于承诺时限到期时间（无承诺时限的以法定时限为准；"
                    "均无时限的视为按时）的件数 ÷ 本期办结件数。"),
    "early_rate": _("本期办结的非即办件（承诺时限 ≥ 1 个工作日）中，实际用时（扣除特别程序等不计时时间后的工作日）"
                  "比承诺时限至少提前 1 个工作日的件数 ÷ 本期办结的非即办件数。"),
    "avg_speedup_rate": _("本期办结且有法定时限的办件，逐件计算 1 − 实际用时 ÷ 法定时限，再取平均值（超期办结为负值）。"),
    "promised_speedup_rate": _("部门现行已发布事项（有法定时限）的承诺时限压缩比 1 − 承诺时限 ÷ 法定时限 的平均值"
                             "（按事项平均，不按件数加权）。"),
    "onsite_rate": _("本期办结的办件中即办件（现场办结）件数 ÷ 本期办结件数。"),
    "online_rate": _("本期申报（申报时间在本期内）的办件中网上申报件数 ÷ 本期申报件数。"),
    "satisfaction_rate": _("本期收到的好差评（已撤销的评价除外）中，非差评（基本满意及以上）件数 ÷ 评价总数。"),
    "consultation_on_time_rate": _("本期收到的咨询中，在答复期限前答复的件数 ÷ 本期咨询件数（未答复的计为未按时）。"),
    "complaint_on_time_rate": _("本期收到、由本部门承办的投诉中，按期受理并按期办结（或按期作出不予受理）的件数 ÷ "
                              "本部门承办的投诉件数（未办结的计为未按时）。"),
    "rectification_on_time_rate": _("本期收到的差评（已撤销的除外）中，在整改期限前完成整改的件数 ÷ 差评件数。"),
    "data_timeliness_rate": _("本期接收的本部门办件过程数据（事件）中，发生后 24 小时内上报的条数 ÷ 本期接收的事件总数"
                            "（即 1 − 迟报率；每低于 100% 一个百分点扣 1 分，最多扣 5 分）。"),
}

@dataclass(frozen=True)
class Window:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive

    @classmethod
    def for_dates(cls, first: date, last: date) -> Window:
        tz = timezone.get_default_timezone()
        return cls(datetime.combine(first, time.min, tzinfo=tz),
                   datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz))

    def params(self) -> list:
        ops = connection.ops
        return [ops.adapt_datetimefield_value(self.start), ops.adapt_datetimefield_value(self.end)]


def _rate(part, whole) -> float | None:
    return None if not whole else float(part) / float(whole)


def _in_list(column: str, ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _late_predicate(received: str, occurred: str) -> str:
    """SQL: an event reported more than 24 hours after it occurred."""
    if connection.vendor == "postgresql":
        return f"{received} > {occurred} + INTERVAL '24 hours'"
    return f"(julianday({received}) - julianday({occurred})) > 1.0"


# PostgreSQL planner settings for the pass over a month's events (measured at 10M cases: 1.67 s → 1.05 s).
# ``enable_indexscan`` off: the month's range of ``received_at`` is read as a bitmap heap scan (pages in order,
# each once) rather than a plain index scan, which the planner prefers because the column follows insertion order
# but which fetches the heap once per entry. ``work_mem``: the planner cannot know that grouping by "late case"
# gives few groups (one per department plus one per late-reporting case) and would sort every event to disk;
# with room for its (over-)estimate it hashes them instead.
EVENTS_PLANNER = {"enable_indexscan": "off", "work_mem": "64MB"}


def _fetch(sql: str, params: list, *, planner: dict[str, str] | None = None) -> list[tuple]:
    """``planner``: PostgreSQL settings for this query only (set, then put back, inside the same transaction)."""
    with connection.cursor() as cur:
        if not (planner and connection.vendor == "postgresql"):
            cur.execute(sql, params)
            return cur.fetchall()
        previous = {}
        for name, value in planner.items():
            cur.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            previous[name] = cur.fetchone()[0]
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            for name, value in previous.items():
                cur.execute("SELECT set_config(%s, %s, true)", [name, value])


def seconds_per_day() -> int:
    from xiaoneng.workcal.selectors import office_hours

    return office_hours().seconds_per_day


def early_predicate() -> str:
    """SQL over ``c`` (case) and ``v`` (its item version), parameter ``%(spd)s``: completed at least one working day
    before the promised limit. A natural-day limit of N days counts as N × 5/7 working days (the clock's
    ``elapsed_seconds`` are working seconds); both sides are multiplied by 7, so the test is exact integer
    arithmetic — and cheap per row."""
    return ("v.promised_days > 0 AND CASE WHEN v.limit_unit = 'natural_day' "
            "THEN 7 * c.elapsed_seconds <= (5 * v.promised_days - 7) * %(spd)s "
            "ELSE c.elapsed_seconds <= (v.promised_days - 1) * %(spd)s END")


def _speedup() -> str:
    """SQL: 1 − actual / statutory working time, in double precision (numeric arithmetic per row costs several
    times more; the sum is only shown, to 6 decimals). Natural days: N × 5/7 working days, as above."""
    return ("1 - CAST(c.elapsed_seconds AS double precision) "
            "* (CASE WHEN v.limit_unit = 'natural_day' THEN 7 ELSE 5 END) / (5 * v.statutory_days * %(spd)s)")


SAMPLE = 50  # facts kept per department for the large sources (early completions, late-reporting cases)


def cases_sql(where_dept: str) -> str:
    """The cases decided or submitted in the window, in one pass aggregated per department (PostgreSQL: a BitmapOr
    of the ``(department_id, decided_at)`` and ``(department_id, submitted_at)`` index ranges, so a case both
    submitted and decided in the month is read once): completions (on time, early, speed-up, instant) and
    submissions (online)."""
    c, v = Case._meta.db_table, ItemVersion._meta.db_table
    due = "COALESCE(c.promised_due, c.statutory_due)"
    dec = "c.decided_at >= %(s)s AND c.decided_at < %(e)s"
    sub = "c.submitted_at >= %(s)s AND c.submitted_at < %(e)s"
    return f"""
SELECT c.department_id,
       SUM(CASE WHEN {dec} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {dec} AND ({due} IS NULL OR c.decided_at <= {due}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN {dec} AND v.promised_days > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN {dec} AND {early_predicate()} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {dec} AND v.statutory_days > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN {dec} AND v.statutory_days > 0 THEN {_speedup()} ELSE 0 END),
       SUM(CASE WHEN {dec} AND v.handling_type = 'instant' THEN 1 ELSE 0 END),
       SUM(CASE WHEN {sub} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {sub} AND c.channel = 'online' THEN 1 ELSE 0 END)
  FROM {c} c JOIN {v} v ON v.id = c.item_version_id
 WHERE {where_dept} AND (({dec}) OR ({sub}))
 GROUP BY c.department_id"""  # noqa: S608 - table names from model meta, values as parameters


def events_sql(where_dept: str) -> str:
    """One pass over the events received in the window (``received_at`` index) in real time (a bulk import of
    history, ``backfilled``, is not reporting: it counts neither way), on the events' own
    ``department_id`` (copied from the case: no lookup of the cases table). Grouped by department and, for late
    events only, by case — so the groups are one per department plus one per late-reporting case, never one per
    case. Per department it returns the totals (events, late events, cases with late events) on every row and the
    first ``%(n)s`` late-reporting cases by first late receipt (the facts of the data-timeliness deduction), each
    case number read by a primary-key probe."""
    c, e = Case._meta.db_table, CaseEvent._meta.db_table
    late_case = f"CASE WHEN {_late_predicate('e.received_at', 'e.occurred_at')} THEN e.case_id END"
    return f"""
WITH g AS (
  SELECT e.department_id, {late_case} AS late_case, COUNT(*) AS n, MIN(e.received_at) AS first_received
    FROM {e} e
   WHERE e.received_at >= %(s)s AND e.received_at < %(e)s AND NOT e.backfilled AND {where_dept}
   GROUP BY e.department_id, {late_case}),
r AS (
  SELECT g.*, SUM(n) OVER w AS events, SUM(CASE WHEN late_case IS NULL THEN 0 ELSE n END) OVER w AS late_events,
         COUNT(late_case) OVER w AS late_cases,
         ROW_NUMBER() OVER (PARTITION BY department_id ORDER BY late_case IS NULL, first_received, late_case) AS rn
    FROM g
  WINDOW w AS (PARTITION BY department_id))
SELECT department_id, events, late_events, late_cases, late_case, n, first_received,
       (SELECT c.case_no FROM {c} c WHERE c.id = r.late_case)
  FROM r
 WHERE rn <= %(n)s
 ORDER BY department_id, rn"""  # noqa: S608 - table names from model meta, values as parameters


def _in_named(column: str, ids: Sequence[int]) -> tuple[str, dict]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%(ids)s)", {"ids": list(ids)}
    names = {f"d{i}": v for i, v in enumerate(ids)}
    return f"{column} IN ({', '.join(f'%({k})s' for k in names)})", names


def no_jit() -> None:
    """PostgreSQL: JIT-compiling these aggregate queries costs more (about a second each) than it saves. ``SET
    LOCAL``: call it inside a transaction (it ends with it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")


def _params(window: Window, ids: Sequence[int]) -> tuple[str, dict]:
    where, ids_p = _in_named("c.department_id", ids)
    start, end = window.params()
    return where, {"s": start, "e": end, "spd": seconds_per_day(), **ids_p}


def cases_part(window: Window, ids: Sequence[int]) -> dict[int, dict]:
    where, params = _params(window, ids)
    out = {}
    for row in _fetch(cases_sql(where), params):
        dept, decided, on_time, early_base, early, speed_base, speed_sum, instant, submitted, online = row
        out[dept] = dict(decided=int(decided or 0), on_time=int(on_time or 0), early_base=int(early_base or 0),
                         early=int(early or 0), speed_base=int(speed_base or 0), speed_sum=float(speed_sum or 0),
                         instant=int(instant or 0), submitted=int(submitted or 0), online=int(online or 0))
    return out


def events_part(window: Window, ids: Sequence[int]) -> dict[int, dict]:
    """Data timeliness, and its facts: ``late_events_sample`` (moved to the facts by ``services.compute_month``)."""
    where, ids_p = _in_named("e.department_id", ids)
    start, end = window.params()
    out: dict[int, dict] = {}
    for dept, events, late, late_cases, case_id, n, first, case_no in _fetch(
            events_sql(where), {"s": start, "e": end, "n": SAMPLE, **ids_p}, planner=EVENTS_PLANNER):
        row = out.setdefault(dept, dict(events=int(events), late_events=int(late), late_cases=int(late_cases),
                                        late_events_sample=[]))
        if case_id is not None:
            row["late_events_sample"].append({"case_id": case_id, "case_no": case_no, "late_events": int(n),
                                              "first_late_received_at": iso_text(first)})
    return out


def iso_text(value) -> str:
    """A timestamp from a raw query (a datetime on PostgreSQL, text on SQLite) as ISO text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def items_part(window: Window, ids: Sequence[int]) -> dict[int, dict]:
    it, v = Item._meta.db_table, ItemVersion._meta.db_table
    where_i, ids_i = _in_list("i.department_id", ids)
    return {dept: dict(items=int(items), item_speed_sum=float(speed or 0)) for dept, items, speed in _fetch(f"""
SELECT i.department_id, COUNT(*), SUM(1.0 - v.promised_days * 1.0 / v.statutory_days)
  FROM {it} i JOIN {v} v ON v.id = i.current_version_id
 WHERE {where_i} AND i.is_active AND v.status = 'published' AND v.statutory_days > 0
 GROUP BY i.department_id""", ids_i)}  # noqa: S608 - table names from model meta, values as parameters


def feedback_part(window: Window, ids: Sequence[int]) -> dict[int, dict]:
    from xiaoneng.feedback.selectors import department_stats

    return {dept: dict(ratings=fb.ratings, bad_ratings=fb.bad_ratings, rating_mean=fb.rating_mean,
                       rectified_on_time=fb.rectified_on_time, consultations=fb.consultations,
                       consultations_on_time=fb.consultations_on_time, complaints_handled=fb.complaints_handled,
                       complaints_handled_on_time=fb.complaints_handled_on_time)
            for dept, fb in department_stats(window.start, window.end, ids).items()}


PARTS = (cases_part, events_part, items_part, feedback_part)


def merge(ids: Sequence[int], parts: Sequence[dict[int, dict]]) -> dict[int, dict]:
    out: dict[int, dict] = {i: _empty() for i in sorted(set(ids))}
    for part in parts:
        for dept, values in part.items():
            if dept in out:
                out[dept].update(values)
    for row in out.values():
        _derive(row)
    return out


def compute(window: Window, department_ids: Sequence[int]) -> dict[int, dict]:
    """``{department_id: {indicator key: value | None, …counts}}`` for every listed department (one aggregate
    query per source, run one after the other; ``services.compute_month`` may run them concurrently)."""
    ids = sorted(set(department_ids))
    if not ids:
        return {}
    return merge(ids, [part(window, ids) for part in PARTS])


def _empty() -> dict:
    return dict(decided=0, on_time=0, early_base=0, early=0, speed_base=0, speed_sum=0.0, instant=0,
                submitted=0, online=0, events=0, late_events=0, late_cases=0, late_events_sample=[], items=0, item_speed_sum=0.0, ratings=0,
                bad_ratings=0, rating_mean=None, rectified_on_time=0, consultations=0, consultations_on_time=0,
                complaints_handled=0, complaints_handled_on_time=0)


def _derive(row: dict) -> None:
    row["on_time_rate"] = _rate(row["on_time"], row["decided"])
    row["early_rate"] = _rate(row["early"], row["early_base"])
    row["avg_speedup_rate"] = row["speed_sum"] / row["speed_base"] if row["speed_base"] else None
    row["promised_speedup_rate"] = row["item_speed_sum"] / row["items"] if row["items"] else None
    row["onsite_rate"] = _rate(row["instant"], row["decided"])
    row["online_rate"] = _rate(row["online"], row["submitted"])
    row["satisfaction_rate"] = _rate(row["ratings"] - row["bad_ratings"], row["ratings"])
    row["consultation_on_time_rate"] = _rate(row["consultations_on_time"], row["consultations"])
    row["complaint_on_time_rate"] = _rate(row["complaints_handled_on_time"], row["complaints_handled"])
    row["rectification_on_time_rate"] = _rate(row["rectified_on_time"], row["bad_ratings"])
    row["data_timeliness_rate"] = _rate(row["events"] - row["late_events"], row["events"])
