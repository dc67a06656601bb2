"""PostgreSQL: concurrent batches on the same case keep one gap-free chain; case numbers stay unique."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from tests.cases.conftest import at, ev, submitted
from tests.factories import CountyFactory
from xiaoneng.cases import audit
from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.cases.services import next_case_no, record_events

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


def _in_threads(n, func):
    errors, barrier = [], threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            func(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_on_one_new_case():
    county = CountyFactory.build()
    t0 = at(2025, 11, 3, 9)
    results = {}

    def work(i):
        batch = [submitted("P1", t0, county, event_id="s1")]
        batch += [ev("P1", "step_completed", t0 + timedelta(minutes=i * 10 + k), event_id=f"t{i}-{k}",
                     payload={"step": "accept", "outcome": "pass"}) for k in range(5)]
        results[i] = record_events(batch, received_at=t0 + timedelta(hours=3))

    _in_threads(4, work)
    statuses = sorted(r[0].status for r in results.values())
    assert statuses == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert all(r.status == "accepted" for res in results.values() for r in res[1:])
    case = Case.objects.get(case_no="P1")
    assert case.event_count == 21
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 22))
    assert audit.verify_chains().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_case_numbers_are_unique():
    from datetime import date

    numbers = []
    lock = threading.Lock()

    def work(i):
        got = [next_case_no("330122000000", date(2025, 11, 3)) for _ in range(10)]
        with lock:
            numbers.extend(got)

    _in_threads(4, work)
    assert len(set(numbers)) == 40
    assert sorted(numbers)[-1] == "33012200000020251103000040"
