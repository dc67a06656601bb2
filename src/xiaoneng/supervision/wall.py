"""Read side of the monitoring wall (实时监控), built on pre-aggregated tables.

* ``DepartmentSnapshot`` — open cases per clock state and open cards per department, refreshed by a periodic
  job (two aggregate queries for the whole database; the wall then reads one small row per department);
* ``AlertDailyStat`` — cards raised per day, department, rule and level, incremented where cards are inserted;
* the most overdue open cases come from the ``alert_rule_due`` index (case_limit yellow cards by due time).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from .models import Alert, AlertDailyStat, DepartmentSnapshot


def refresh_snapshots(now=None) -> int:
    from xiaoneng.cases.models import OPEN_STATUSES, Case
    from xiaoneng.org.models import Department

    now = now or timezone.now()
    states: dict[int, dict] = defaultdict(dict)
    for dept, state, n in (Case.objects.filter(status__in=OPEN_STATUSES).values_list("department_id", "clock_state")
                           .annotate(n=Count("id")).order_by()):
        states[dept][state] = n
    cards = dict(Alert.objects.filter(status__in=Alert.OPEN_STATUSES).values_list("department_id")
                 .annotate(n=Count("id")).order_by())
    dept_ids = set(Department.objects.values_list("id", flat=True))
    rows = [DepartmentSnapshot(department_id=d, open_by_state=states.get(d, {}), open_cards=cards.get(d, 0),
                               computed_at=now) for d in dept_ids]
    with transaction.atomic():
        DepartmentSnapshot.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["department"],
            update_fields=["open_by_state", "open_cards", "computed_at"])
    return len(rows)


LEVELS = ("warning", "yellow", "red")
STATES = ("normal", "warning", "yellow", "red", "suspended")


def _dept_filter(qs, dept_ids, field="department_id"):
    return qs if dept_ids is None else qs.filter(**{f"{field}__in": list(dept_ids)})


def wall_data(dept_ids: set[int] | None, now=None) -> dict:
    """Everything the wall shows, for the departments ``dept_ids`` (None = all). A handful of small queries on
    pre-aggregated rows and on indexes; no scan of the case table."""
    from xiaoneng.cases.models import OPEN_STATUSES
    from xiaoneng.org.models import Department

    from .catalogue import RULE_NAMES
    from .models import OrderStatus, SupervisionOrder

    now = now or timezone.now()
    today = timezone.localdate(now)
    week_start = today - timedelta(days=today.weekday())
    snaps = list(_dept_filter(DepartmentSnapshot.objects.all(), dept_ids).values(
        "department_id", "open_by_state", "open_cards", "computed_at"))
    if not snaps and not DepartmentSnapshot.objects.exists():
        refresh_snapshots(now)
        snaps = list(_dept_filter(DepartmentSnapshot.objects.all(), dept_ids).values(
            "department_id", "open_by_state", "open_cards", "computed_at"))
    states = {s: 0 for s in STATES}
    for snap in snaps:
        for state, n in (snap["open_by_state"] or {}).items():
            if state in states:
                states[state] += n
    names = dict(_dept_filter(Department.objects.all(), dept_ids, "id").values_list("id", "name"))
    ranking = sorted((s for s in snaps if s["open_cards"]), key=lambda s: -s["open_cards"])[:10]
    ranking = [{"department": names.get(s["department_id"], s["department_id"]), "cards": s["open_cards"]}
               for s in ranking]

    daily = _dept_filter(AlertDailyStat.objects.filter(day__gte=today - timedelta(days=29)), dept_ids)
    rows = list(daily.values("day", "rule", "level").annotate(n=Sum("count")).order_by())
    today_by_level = {lv: 0 for lv in LEVELS}
    week_by_level = {lv: 0 for lv in LEVELS}
    week_by_rule: dict[str, int] = {}
    trend = {lv: [0] * 30 for lv in LEVELS}
    days = [today - timedelta(days=29 - i) for i in range(30)]
    index = {d: i for i, d in enumerate(days)}
    for r in rows:
        if r["level"] not in trend:
            continue
        trend[r["level"]][index[r["day"]]] += r["n"]
        if r["day"] == today:
            today_by_level[r["level"]] += r["n"]
        if r["day"] >= week_start:
            week_by_level[r["level"]] += r["n"]
            week_by_rule[r["rule"]] = week_by_rule.get(r["rule"], 0) + r["n"]

    overdue_qs = _dept_filter(
        Alert.objects.filter(subject_type="case", rule="case_limit", level="yellow", case__status__in=OPEN_STATUSES),
        dept_ids,
    ).select_related("case", "case__item", "department").order_by("due_at")[:15]
    overdue = []
    for a in overdue_qs:
        overdue.append({
            "case_id": a.case_id, "case_no": a.case.case_no, "item": a.case.item.name,
            "department": a.department.short_name or a.department.name, "state": a.case.clock_state,
            "promised_due": a.case.promised_due, "overdue_days": round((now - a.due_at).total_seconds() / 86400, 1),
        })
    orders = list(_dept_filter(SupervisionOrder.objects.filter(status=OrderStatus.OPEN), dept_ids)
                  .select_related("department").order_by("reply_due")[:10])
    computed = max((s["computed_at"] for s in snaps), default=None)
    return {
        "now": now, "computed_at": computed, "states": states, "open_total": sum(states.values()),
        "today_by_level": today_by_level, "week_by_level": week_by_level,
        "today_total": sum(today_by_level.values()), "week_total": sum(week_by_level.values()),
        "week_by_rule": sorted(((RULE_NAMES.get(k, k), v) for k, v in week_by_rule.items()), key=lambda x: -x[1]),
        "ranking": ranking, "overdue": overdue, "orders": orders,
        "trend": {"days": [d.strftime("%m-%d") for d in days], **trend},
    }


def chart_json(data: dict) -> dict:
    """The part of ``wall_data`` the charts need (embedded as JSON in the panel; no inline script)."""
    from .messages import LEVEL_NAMES

    state_names = {"normal": "正常", "warning": "预警", "yellow": "黄牌", "red": "红牌", "suspended": "暂停计时"}
    return {
        "states": [{"name": state_names[k], "value": v, "key": k} for k, v in data["states"].items()],
        "levels": {"names": [LEVEL_NAMES[lv] for lv in LEVELS],
                   "today": [data["today_by_level"][lv] for lv in LEVELS],
                   "week": [data["week_by_level"][lv] for lv in LEVELS]},
        "rules": {"names": [n for n, _ in data["week_by_rule"]], "values": [v for _, v in data["week_by_rule"]]},
        "ranking": {"names": [r["department"] for r in data["ranking"]][::-1],
                    "values": [r["cards"] for r in data["ranking"]][::-1]},
        "trend": {"days": data["trend"]["days"],
                  "series": [{"name": LEVEL_NAMES[lv], "key": lv, "data": data["trend"][lv]} for lv in LEVELS]},
    }
