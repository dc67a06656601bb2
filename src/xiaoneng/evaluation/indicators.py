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

# How natural-day limits compare with the working-day clock: a natural-day limit of N days is taken as
# N × 5 / 7 working days (the case clock's ``elapsed_seconds`` are always working seconds).
NATURAL_DAY_FACTOR = "5.0 / 7.0"


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


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def seconds_per_day() -> int:
    from xiaoneng.workcal.selectors import office_hours

    return office_hours().seconds_per_day


def _limit(column: str) -> str:
    return f"(CASE WHEN v.limit_unit = 'natural_day' THEN {column} * {NATURAL_DAY_FACTOR} ELSE {column} * 1.0 END)"


def early_predicate() -> str:
    """SQL over ``c`` (case) and ``v`` (its item version), parameter ``%(spd)s``: completed at least one working day
    before the promised limit. In integers (a natural-day limit of N days is N × 5/7 working days, so both sides
    are multiplied by 7): exact, and much cheaper per row than numeric arithmetic."""
    return ("v.promised_days > 0 AND CASE WHEN v.limit_unit = 'natural_day' "
            "THEN 7 * c.elapsed_seconds <= (5 * v.promised_days - 7) * %(spd)s "
            "ELSE c.elapsed_seconds <= (v.promised_days - 1) * %(spd)s END")


SAMPLE = 50  # facts kept per department for the large sources (early completions, late-reporting cases)


def cases_sql(where_dept: str) -> str:
    """The cases decided or submitted in the window, in one pass (PostgreSQL: a BitmapOr of the ``(department_id,
    decided_at)`` and ``(department_id, submitted_at)`` index ranges, so a case both submitted and decided in the
    month is read once). The inner query aggregates per department and item version with integer sums only; the
    per-version arithmetic (speed-up, which needs the version's limit) is done on those few groups outside."""
    c, v = Case._meta.db_table, ItemVersion._meta.db_table
    due = "COALESCE(c.promised_due, c.statutory_due)"
    dec = "c.decided_at >= %(s)s AND c.decided_at < %(e)s"
    sub = "c.submitted_at >= %(s)s AND c.submitted_at < %(e)s"
    return f"""
SELECT t.department_id, SUM(t.decided), SUM(t.on_time),
       SUM(CASE WHEN v.promised_days > 0 THEN t.decided ELSE 0 END), SUM(t.early),
       SUM(CASE WHEN v.statutory_days > 0 THEN t.decided ELSE 0 END),
       SUM(CASE WHEN v.statutory_days > 0 AND t.decided > 0
                THEN t.decided - t.elapsed / ({_limit('v.statutory_days')} * %(spd)s) ELSE 0 END),
       SUM(CASE WHEN v.handling_type = 'instant' THEN t.decided ELSE 0 END), SUM(t.submitted), SUM(t.online)
  FROM (
    SELECT c.department_id, c.item_version_id,
           SUM(CASE WHEN {dec} THEN 1 ELSE 0 END) AS decided,
           SUM(CASE WHEN {dec} AND ({due} IS NULL OR c.decided_at <= {due}) THEN 1 ELSE 0 END) AS on_time,
           SUM(CASE WHEN {dec} AND {early_predicate()} THEN 1 ELSE 0 END) AS early,
           SUM(CASE WHEN {dec} THEN c.elapsed_seconds ELSE 0 END) AS elapsed,
           SUM(CASE WHEN {sub} THEN 1 ELSE 0 END) AS submitted,
           SUM(CASE WHEN {sub} AND c.channel = 'online' THEN 1 ELSE 0 END) AS online
      FROM {c} c JOIN {v} v ON v.id = c.item_version_id
     WHERE {where_dept} AND (({dec}) OR ({sub}))
     GROUP BY c.department_id, c.item_version_id
  ) t JOIN {v} v ON v.id = t.item_version_id
 GROUP BY t.department_id"""  # noqa: S608 - table names from model meta, values as parameters


def events_sql(where_dept: str) -> str:
    """Events received in the window (``received_at`` index), aggregated per department on the event's own
    ``department_id`` (copied from its case): no lookup of the cases table at all. ``late_cases`` counts the
    distinct cases among the (few) late events."""
    e = CaseEvent._meta.db_table
    late = _late_predicate("e.received_at", "e.occurred_at")
    return f"""
SELECT e.department_id, COUNT(*), SUM(CASE WHEN {late} THEN 1 ELSE 0 END),
       COUNT(DISTINCT CASE WHEN {late} THEN e.case_id END)
  FROM {e} e
 WHERE e.received_at >= %(s)s AND e.received_at < %(e)s AND {where_dept}
 GROUP BY e.department_id"""  # noqa: S608 - table names from model meta, values as parameters


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
    where, ids_p = _in_named("e.department_id", ids)
    start, end = window.params()
    return {dept: dict(events=int(events or 0), late_events=int(late or 0), late_cases=int(late_cases or 0))
            for dept, events, late, late_cases in _fetch(events_sql(where), {"s": start, "e": end, **ids_p})}


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
                submitted=0, online=0, events=0, late_events=0, late_cases=0, items=0, item_speed_sum=0.0, ratings=0,
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
