"""Fact sources read by the scoring rules: the cards, complaints, ratings, orders and cases behind every point.

``collect(window, department_ids, as_of) -> {department_id: {source: [fact, …]}}`` — one query per source for all
departments. Facts are plain JSON-ready dicts (ids, numbers, ISO instants) so that they can be stored on the
score line and followed to their pages. Large sources (late events, early completions) store a bounded sample
(``SAMPLE`` per department, chosen in SQL by a window function) with the full count in the line's ``total``.

Sources
-------
* ``cards``: alerts of the department that count (``Alert.COUNTED_STATUSES``; revoked / dismissed / pending never
  do) whose threshold passed in the period (``due_at`` in the window).
* ``verified_complaints``: complaints *about* the department received in the period, found 属实 or 部分属实.
* ``bad_not_rectified``: 差评 given in the period (removed ones excluded) whose rectification due date has passed
  at ``as_of`` without a rectification by that date.
* ``supervision_orders``: 督办单 issued to the department in the period.
* ``accountabilities``: 问责 records on the department's orders recorded in the period.
* ``late_events``: cases with events received in the period more than 24 hours after they occurred (sample;
  each with its number of late events and the first late receipt). Not read here: it comes out of the same pass
  over the events as the data-timeliness indicator (``indicators.events_sql``), which puts it in the facts.
* ``early_cases``: cases completed in the period at least one working day before their promised limit (sample).
* ``speedup_items``: the department's current published items with their statutory and promised limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import F, Q

from xiaoneng.cases.models import Case
from xiaoneng.catalog.models import Item, ItemVersion

from .indicators import SAMPLE, Window, _fetch, early_predicate, seconds_per_day

SOURCES = ("cards", "verified_complaints", "bad_not_rectified", "supervision_orders", "accountabilities",
           "late_events", "early_cases", "speedup_items")
SOURCE_LABELS = {
    "cards": "预警纠错", "verified_complaints": "属实投诉", "bad_not_rectified": "差评未按时整改",
    "supervision_orders": "督办单", "accountabilities": "问责记录", "late_events": "有迟报数据的办件",
    "early_cases": "提前办结办件", "speedup_items": "事项承诺时限", "manual": "人工认定",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def collect(window: Window, department_ids: Sequence[int], as_of: datetime) -> dict[int, dict[str, list]]:
    """Every fact source for every listed department (one query per source)."""
    ids = sorted(set(department_ids))
    out: dict[int, dict[str, list]] = {i: {s: [] for s in SOURCES} for i in ids}
    if not ids:
        return out
    _cards(out, window, ids)
    _feedback(out, window, ids, as_of)
    _orders(out, window, ids)
    _early_cases(out, window, ids)
    _items(out, ids)
    return out


def _cards(out, window, ids):
    from xiaoneng.supervision.models import Alert

    rows = (Alert.objects.filter(department_id__in=ids, status__in=Alert.COUNTED_STATUSES,
                                 due_at__gte=window.start, due_at__lt=window.end)
            .order_by("id").values_list("id", "department_id", "rule", "level", "subject_type", "subject_no",
                                        "case_id", "case__case_no", "step", "due_at"))
    for pk, dept, rule, level, stype, sno, case_id, case_no, step, due in rows.iterator(chunk_size=5000):
        out[dept]["cards"].append({"id": pk, "rule": rule, "level": level, "subject_type": stype,
                                   "subject_no": sno, "case_id": case_id, "case_no": case_no or "", "step": step,
                                   "due_at": _iso(due)})


def _feedback(out, window, ids, as_of):
    from xiaoneng.feedback.models import SUBSTANTIATED_RESULTS, Complaint, Rating

    for pk, dept, no, ctype, result, case_id, case_no in (
        Complaint.objects.filter(target_department_id__in=ids, received_at__gte=window.start,
                                 received_at__lt=window.end, result__in=SUBSTANTIATED_RESULTS)
        .order_by("id").values_list("id", "target_department_id", "receipt_no", "type", "result", "case_id",
                                  "case__case_no")
    ):
        out[dept]["verified_complaints"].append({"id": pk, "receipt_no": no, "type": ctype, "result": result,
                                                 "case_id": case_id, "case_no": case_no or ""})
    late = Q(rectified_at__isnull=True) | Q(rectified_at__gt=F("rectify_due"))
    for pk, dept, no, level, case_id, case_no, due, done in (
        Rating.objects.filter(department_id__in=ids, rated_at__gte=window.start, rated_at__lt=window.end,
                              is_bad=True, removed=False, rectify_due__isnull=False, rectify_due__lt=as_of)
        .filter(late).order_by("id")
        .values_list("id", "department_id", "receipt_no", "level", "case_id", "case__case_no", "rectify_due",
                     "rectified_at")
    ):
        out[dept]["bad_not_rectified"].append({"id": pk, "receipt_no": no, "level": level, "case_id": case_id,
                                               "case_no": case_no or "",
                                               "rectify_due": _iso(due), "rectified_at": _iso(done)})


def _orders(out, window, ids):
    from xiaoneng.supervision.models import Accountability, SupervisionOrder

    for pk, dept, no, status, case_id, case_no, issued in (
        SupervisionOrder.objects.filter(department_id__in=ids, issued_at__gte=window.start,
                                        issued_at__lt=window.end)
        .order_by("id").values_list("id", "department_id", "order_no", "status", "case_id", "case__case_no", "issued_at")
    ):
        out[dept]["supervision_orders"].append({"id": pk, "order_id": pk, "order_no": no, "status": status,
                                                "case_id": case_id, "case_no": case_no or "",
                                                "issued_at": _iso(issued)})
    for pk, dept, person, step, measure, order_id, no, case_id, case_no, at in (
        Accountability.objects.filter(order__department_id__in=ids, recorded_at__gte=window.start,
                                      recorded_at__lt=window.end)
        .order_by("id").values_list("id", "order__department_id", "person_name", "step", "measure",
                                    "order_id", "order__order_no", "order__case_id", "order__case__case_no",
                                    "recorded_at")
    ):
        out[dept]["accountabilities"].append({"id": pk, "person_name": person, "step": step, "measure": measure,
                                              "order_id": order_id, "order_no": no, "case_id": case_id,
                                              "case_no": case_no or "", "recorded_at": _iso(at)})


def _early_cases(out, window, ids):
    """The first ``SAMPLE`` early completions per department (PostgreSQL: a LATERAL ``LIMIT`` per department on
    the ``(department_id, decided_at)`` index, so only those rows are read; elsewhere a window function)."""
    c, v = Case._meta.db_table, ItemVersion._meta.db_table
    early = early_predicate()
    spd = seconds_per_day()
    start, end = window.params()
    if connection.vendor == "postgresql":
        sql = f"""
SELECT d.id, x.id, x.case_no, x.elapsed_seconds, x.promised_days
  FROM unnest(%(ids)s::bigint[]) AS d(id)
 CROSS JOIN LATERAL (
   SELECT c.id, c.case_no, c.elapsed_seconds, v.promised_days
     FROM {c} c JOIN {v} v ON v.id = c.item_version_id
    WHERE c.department_id = d.id AND c.decided_at >= %(s)s AND c.decided_at < %(e)s AND {early}
    ORDER BY c.decided_at, c.id
    LIMIT %(n)s) x
 ORDER BY d.id, x.id"""  # noqa: S608 - table names from model meta, values as parameters
        params = {"ids": list(ids), "s": start, "e": end, "spd": spd, "n": SAMPLE}
    else:
        where = " OR ".join(f"c.department_id = %(d{i})s" for i in range(len(ids)))
        sql = f"""
SELECT department_id, case_id, case_no, elapsed_seconds, promised_days FROM (
  SELECT c.department_id, c.id AS case_id, c.case_no, c.elapsed_seconds, v.promised_days,
         ROW_NUMBER() OVER (PARTITION BY c.department_id ORDER BY c.decided_at, c.id) AS rn
    FROM {c} c JOIN {v} v ON v.id = c.item_version_id
   WHERE ({where}) AND c.decided_at >= %(s)s AND c.decided_at < %(e)s AND {early}
) t WHERE rn <= %(n)s ORDER BY department_id, rn"""  # noqa: S608 - table names from model meta, values as parameters
        params = {**{f"d{i}": d for i, d in enumerate(ids)}, "s": start, "e": end, "spd": spd, "n": SAMPLE}
    for dept, case_id, case_no, elapsed, promised in _fetch(sql, params):
        out[dept]["early_cases"].append({"case_id": case_id, "case_no": case_no,
                                         "elapsed_days": round(elapsed / spd, 1), "promised_days": promised})


def _items(out, ids):
    for dept, code, name, statutory, promised in (
        Item.objects.filter(department_id__in=ids, is_active=True, current_version__status="published",
                            current_version__statutory_days__gt=0)
        .order_by("code").values_list("department_id", "code", "name", "current_version__statutory_days",
                                      "current_version__promised_days")
    ):
        out[dept]["speedup_items"].append({"item_code": code, "name": name, "statutory_days": statutory,
                                           "promised_days": promised,
                                           "speedup": round(1 - promised / statutory, 4)})
