"""Two sweeps at once over the same due cases (PostgreSQL, SKIP LOCKED): each card exists exactly once."""

import threading

import pytest
from django.db import connection, connections

from tests.supervision.conftest import accepted_case, at
from xiaoneng.supervision.models import Alert, AlertDailyStat
from xiaoneng.supervision.services import sweep

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (SKIP LOCKED)")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_raise_each_card_once(county):
    for i in range(60):
        accepted_case(county, f"CC-{i:03d}", at(2026, 3, 2, 9, 59))
    before = Alert.objects.count()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(sweep(now=at(2026, 4, 1), chunk=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # each case processed by exactly one of the two workers
    assert sum(r.processed for r in results) == 60
    keys = list(Alert.objects.values_list("subject_id", "step", "rule", "level"))
    assert len(keys) == len(set(keys))
    # every case: warning, yellow, red of case_limit (+ the acceptance step card raised at recording)
    assert Alert.objects.filter(rule="case_limit").count() == 180
    assert sum(r.alerts for r in results) == Alert.objects.count() - before
    assert sum(AlertDailyStat.objects.values_list("count", flat=True)) == Alert.objects.count()
    assert sweep(now=at(2026, 4, 1)).alerts == 0
