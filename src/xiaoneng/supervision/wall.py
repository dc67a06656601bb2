"""Read side of the monitoring wall (实时监控), built on pre-aggregated tables.

* ``DepartmentSnapshot`` — open cases per clock state and open cards per department, refreshed by a periodic
  job (two aggregate queries for the whole database; the wall then reads one small row per department);
* ``AlertDailyStat`` — cards raised per day, department, rule and level, incremented where cards are inserted;
* the most overdue open cases come from the ``alert_rule_due`` index (case_limit yellow cards by due time).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .models import Alert, DepartmentSnapshot


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
